import type { Shell } from '../transport/index.ts';
import { Redactor, type ExtraPattern } from './redact.ts';
import type { SegmentRow, SegmentStore } from './segments.ts';
import { SegmentSink } from './sink.ts';

/** What every source gets: the box's shell, the store, and the bounds of this run. */
export interface SourceContext {
  shell: Shell;
  store: SegmentStore;
  boxId: string;
  /** First collection only: start here (journalctl --since syntax, e.g. "2026-12-01 08:00" or "-2h"). */
  since?: string;
  /** Raw bytes one source may collect in one run; the rest waits for the next run (`more`). */
  maxBytes: number;
  extra?: readonly ExtraPattern[];
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (p: SourceProgress) => void;
}

export interface SourceProgress {
  boxId: string;
  source: string;
  lines: number;
  rawBytes: number;
  segments: number;
}

export interface SourceResult {
  source: string;
  segments: SegmentRow[];
  lines: number;
  rawBytes: number;
  /** Compressed bytes stored. */
  bytes: number;
  redactions: Record<string, number>;
  /** The run stopped at maxBytes: collect again for the rest. */
  more: boolean;
  /** Why nothing was collected (absent file, no journalctl…), or what was noticed (a rotation gap). */
  note?: string;
}

export function sumCounts(into: Record<string, number>, add: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/**
 * Runs one source's collection into a sink: `body` feeds lines and returns the final cursor (or
 * undefined to keep the last line's). Whatever fails, the segment in progress is dropped and what
 * was committed stays, its cursor with it.
 */
export async function runSource(
  ctx: SourceContext,
  source: string,
  body: (sink: SegmentSink, start: string | null, progress: () => void) => Promise<{ cursor?: string; more: boolean; note?: string }>,
): Promise<SourceResult> {
  const start = ctx.store.cursor(ctx.boxId, source);
  const sink = new SegmentSink(ctx.store, new Redactor({ extra: ctx.extra }), { boxId: ctx.boxId, source, start });
  const progress = () => ctx.onProgress?.({ boxId: ctx.boxId, source, ...sink.stats });
  let out: { cursor?: string; more: boolean; note?: string };
  try {
    out = await body(sink, start, progress);
    await sink.finish(out.cursor);
  } catch (e) {
    sink.abort();
    throw e;
  }
  progress();
  const segs = sink.segments;
  const result: SourceResult = {
    source,
    segments: segs,
    lines: segs.reduce((a, s) => a + s.lines, 0),
    rawBytes: segs.reduce((a, s) => a + s.rawBytes, 0),
    bytes: segs.reduce((a, s) => a + s.bytes, 0),
    redactions: segs.reduce((a, s) => sumCounts(a, s.redactions), {} as Record<string, number>),
    more: out.more,
  };
  if (out.note) result.note = out.note;
  return result;
}
