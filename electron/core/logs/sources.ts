import { FieldlinkError } from '../../../shared/errors.ts';
import type { Shell } from '../transport/index.ts';
import { collectDmesg } from './dmesg.ts';
import { DEFAULT_FILES, checkPath, collectFile } from './files.ts';
import { collectJournal, journalSource } from './journald.ts';
import type { ExtraPattern } from './redact.ts';
import type { SegmentStore } from './segments.ts';
import { sumCounts, type SourceContext, type SourceProgress, type SourceResult } from './source.ts';

/** What to collect from a box. Files that are not on the box are skipped with a note. */
export type SourceSpec = { kind: 'journald'; unit?: string } | { kind: 'file'; path: string } | { kind: 'dmesg' };

export const DEFAULT_SOURCES: readonly SourceSpec[] = [{ kind: 'journald' }, { kind: 'dmesg' }, ...DEFAULT_FILES.map((path) => ({ kind: 'file' as const, path }))];

/** Raw bytes one source may bring in one run by default: the next "collect" goes on from there. */
export const DEFAULT_MAX_BYTES_PER_SOURCE = 256 * 1024 * 1024;

export interface CollectOptions {
  /** The box's stable id (boxes/identify: serial, machine-id, host key). */
  boxId: string;
  sources?: readonly SourceSpec[];
  since?: string;
  maxBytesPerSource?: number;
  /** Compiled patterns from Settings (compilePatterns). */
  extra?: readonly ExtraPattern[];
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (p: SourceProgress) => void;
}

export interface SourceFailure {
  source: string;
  code: string;
  message: string;
}

export interface BoxCollection {
  boxId: string;
  target: string;
  sources: SourceResult[];
  /** Sources that failed on their own (the others went on); a full store or a cut link stops all. */
  failed: SourceFailure[];
  segments: number;
  lines: number;
  rawBytes: number;
  bytes: number;
  redactions: Record<string, number>;
  more: boolean;
}

export const sourceName = (s: SourceSpec): string => (s.kind === 'journald' ? journalSource(s.unit) : s.kind === 'dmesg' ? 'dmesg' : `file:${s.path}`);

/** Parses `journald`, `journald:UNIT`, `dmesg` or an absolute file path (`file:PATH` too). */
export function parseSource(text: string): SourceSpec {
  if (text === 'journald') return { kind: 'journald' };
  if (text.startsWith('journald:')) {
    journalSource(text.slice(9)); // throws on a name that is not a unit
    return { kind: 'journald', unit: text.slice(9) };
  }
  if (text === 'dmesg') return { kind: 'dmesg' };
  const path = text.startsWith('file:') ? text.slice(5) : text;
  checkPath(path);
  return { kind: 'file', path };
}

/** Errors that stop the whole collection rather than one source. */
const STOPS_ALL = new Set(['STORAGE', 'LINK_DOWN', 'ABORTED', 'TIMEOUT', 'AUTH_FAILED', 'HOST_KEY_CHANGED']);

/**
 * Collects every source of one box over any Shell (SSH or serial) into the store, each source from
 * its own cursor, so collecting again fetches only what is new. One source failing is reported and
 * the others go on; a full store (quota or disk), a cut link or a cancel stops the run, with what
 * was committed kept.
 */
export async function collectBox(shell: Shell, store: SegmentStore, opts: CollectOptions): Promise<BoxCollection> {
  const ctx: SourceContext = {
    shell,
    store,
    boxId: opts.boxId,
    since: opts.since,
    maxBytes: opts.maxBytesPerSource ?? DEFAULT_MAX_BYTES_PER_SOURCE,
    extra: opts.extra,
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
    onProgress: opts.onProgress,
  };
  const out: BoxCollection = { boxId: opts.boxId, target: shell.target, sources: [], failed: [], segments: 0, lines: 0, rawBytes: 0, bytes: 0, redactions: {}, more: false };
  for (const spec of opts.sources ?? DEFAULT_SOURCES) {
    opts.signal?.throwIfAborted();
    let r: SourceResult;
    try {
      r = await collectOne(ctx, spec);
    } catch (e) {
      const code = e instanceof FieldlinkError ? e.code : 'INTERNAL';
      if (STOPS_ALL.has(code) || !(e instanceof FieldlinkError)) throw e;
      out.failed.push({ source: sourceName(spec), code, message: e.message });
      continue;
    }
    out.sources.push(r);
    out.segments += r.segments.length;
    out.lines += r.lines;
    out.rawBytes += r.rawBytes;
    out.bytes += r.bytes;
    out.more ||= r.more;
    sumCounts(out.redactions, r.redactions);
  }
  return out;
}

function collectOne(ctx: SourceContext, spec: SourceSpec): Promise<SourceResult> {
  switch (spec.kind) {
    case 'journald':
      return collectJournal(ctx, spec.unit);
    case 'dmesg':
      return collectDmesg(ctx);
    case 'file':
      return collectFile(ctx, spec.path);
  }
}
