import { z } from 'zod';

/**
 * The nouns Fieldlink talks about, shared by the core and the UI. Everything that crosses the
 * contract is one of these; the core validates what it sends back too, so a schema here is a promise.
 */

const Iso = z.string().describe('ISO-8601 time');

/** How a box was seen. Sightings from every source merge into one box. */
export const SightingSource = z.enum(['mdns', 'sweep', 'neighbour', 'serial', 'manual']);
export type SightingSource = z.infer<typeof SightingSource>;

export const Sighting = z.object({
  boxId: z.string(),
  source: SightingSource,
  address: z.string().nullable(),
  at: Iso,
  facts: z.record(z.string(), z.string()).default({}),
});
export type Sighting = z.infer<typeof Sighting>;

export const BoxState = z.enum(['new', 'provisioned', 'attention', 'unreachable', 'unknown']);
export type BoxState = z.infer<typeof BoxState>;

/** How the host key was pinned, strongest first. `changed` means the box now shows another key. */
export const TrustLevel = z.enum(['cable', 'typed', 'first-use', 'unknown', 'changed']);
export type TrustLevel = z.infer<typeof TrustLevel>;

export const Reach = z.enum(['lan', 'cable', 'both', 'none']);
export type Reach = z.infer<typeof Reach>;

export const HealthWord = z.enum(['healthy', 'attention', 'down', 'unknown']);
export type HealthWord = z.infer<typeof HealthWord>;

export const Box = z.object({
  id: z.string().describe('stable: serial number, else machine-id, else host-key fingerprint'),
  hostname: z.string(),
  serial: z.string().nullable(),
  model: z.string().nullable(),
  vendor: z.string().nullable(),
  arch: z.string().nullable(),
  addresses: z.array(z.string()),
  consolePath: z.string().nullable(),
  reach: Reach,
  state: BoxState,
  trust: TrustLevel,
  health: HealthWord,
  k3sVersion: z.string().nullable(),
  /** Set when sightings disagree and were not merged (two boxes claiming one serial number). */
  conflict: z.string().nullable(),
  firstSeen: Iso,
  lastSeen: Iso,
});
export type Box = z.infer<typeof Box>;

/** Where a pinned host key came from, strongest first. */
export const TrustSource = z.enum(['serial', 'typed', 'first-use', 'known-hosts']);
export type TrustSource = z.infer<typeof TrustSource>;

export const TrustPin = z.object({
  host: z.string(),
  port: z.number().int(),
  boxId: z.string().nullable(),
  keyType: z.string(),
  fingerprint: z.string().describe('OpenSSH form: SHA256:base64'),
  source: TrustSource,
  pinnedAt: Iso,
});
export type TrustPin = z.infer<typeof TrustPin>;

export const AuditOutcome = z.enum(['ok', 'failed', 'refused']);

/**
 * What an audit row records: a closed list, so the UI can put each in words. The core writes only
 * these; rows written by older versions may hold other strings and are shown as written.
 */
export const AuditAction = z.enum([
  'trust.pin', // a host key was pinned (cable, label, first use)
  'trust.refused', // a host key or a pin request was refused (changed, unknown, another box's address)
  'trust.import', // an OpenSSH known_hosts file was imported
  'credentials.remember', // a box password the box accepted was kept on this laptop (never the password itself)
  'credentials.forget', // a remembered box password was removed from this laptop
  'keys.install', // the technician key was added to a box's authorized_keys
  'provision.step',
  'provision.run',
  'logs.collect',
  'sync.upload',
]);
export type AuditAction = z.infer<typeof AuditAction>;

export const AuditEntry = z.object({
  id: z.number().int(),
  at: Iso,
  boxId: z.string().nullable(),
  actor: z.string(),
  action: z.string().describe('an AuditAction; rows from older versions may hold others'),
  outcome: AuditOutcome,
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const JobKind = z.enum(['discovery', 'provision', 'collect', 'sync']);
export const JobState = z.enum(['running', 'done', 'failed', 'cancelled']);
export const Job = z.object({
  id: z.string(),
  kind: JobKind,
  title: z.string(),
  state: JobState,
  /** 0..1, or null while the size of the work is not known yet. */
  progress: z.number().min(0).max(1).nullable(),
  step: z.string().nullable(),
  startedAt: Iso,
  endedAt: Iso.nullable(),
  error: z.string().nullable(),
});
export type Job = z.infer<typeof Job>;

export const Status = z.object({
  collector: z.object({
    url: z.string().nullable(),
    online: z.boolean(),
    /** When the current online/offline state began; null if never checked. */
    since: Iso.nullable(),
  }),
  outbox: z.object({ segments: z.number().int(), bytes: z.number().int() }),
  jobs: z.array(Job),
});
export type Status = z.infer<typeof Status>;

export const Theme = z.enum(['light', 'dark', 'contrast']);
export type Theme = z.infer<typeof Theme>;

export const Settings = z.object({
  technician: z.string().max(200),
  site: z.string().max(200),
  theme: Theme,
  collectorUrl: z.string().url().nullable(),
  quotaBytes: z.number().int().positive(),
});
export type Settings = z.infer<typeof Settings>;

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  platform: z.string(),
  host: z.enum(['electron', 'browser', 'cli', 'test']),
});
export type AppInfo = z.infer<typeof AppInfo>;

/** A terminal session on a box, and where it stands. */
export const ConsoleSession = z.object({
  sessionId: z.string(),
  target: z.string(),
  via: z.enum(['ssh', 'serial']),
  state: z.enum(['connecting', 'open', 'closed', 'error']),
  message: z.string().nullable(),
});
export type ConsoleSession = z.infer<typeof ConsoleSession>;
