import { z } from 'zod';

/** One collected log segment as the Logs view lists it (electron/core/logs SegmentRow). */
export const LogSegment = z.object({
  hash: z.string(),
  boxId: z.string(),
  source: z.string(),
  timeFrom: z.string(),
  timeTo: z.string(),
  bytes: z.number().int(),
  rawBytes: z.number().int(),
  lines: z.number().int(),
  redactions: z.record(z.string(), z.number().int()),
  createdAt: z.string(),
  syncState: z.enum(['waiting', 'uploading', 'synced']),
  syncedAt: z.string().nullable(),
  /** Set when its bytes are missing or fail their hash: kept, listed, never uploaded. */
  problem: z.enum(['missing', 'size', 'hash']).nullable(),
});
export type LogSegment = z.infer<typeof LogSegment>;

export const LogUsage = z.object({
  segments: z.number().int(),
  bytes: z.number().int(),
  rawBytes: z.number().int(),
  waitingSegments: z.number().int(),
  waitingBytes: z.number().int(),
  quotaBytes: z.number().int(),
  problems: z.number().int(),
});

export const LogListing = z.object({
  segments: z.array(LogSegment),
  usage: LogUsage,
  truncated: z.boolean(),
  /** Whether a collector token is kept in the keychain (the token itself never leaves the core). */
  tokenSet: z.boolean(),
});
export type LogListing = z.infer<typeof LogListing>;
