/**
 * Log collection on the laptop (issue 12): sources on the box, redaction, the segment store.
 *
 * - collectBox(shell, store, {boxId, sources?, since?, extra?, onProgress?}) collects journald (per
 *   box, or per unit), dmesg and log files (by inode and offset, surviving rotation) over any Shell,
 *   each from its own persisted cursor, so collecting again fetches only what is new. Every line
 *   goes through a Redactor (61 kinds plus patterns from Settings, `[REDACTED:<kind>]`) into
 *   segments. A run is bounded per source (maxBytesPerSource, `more` says there is more).
 * - SegmentStore: zstd segments named by sha256 under <dataDir>/segments/<hh>/<hash>.zst, written
 *   temp -> fsync -> rename -> fsync dir, catalogued in SQLite (table `segments`, cursors in
 *   `log_cursors`) with the cursor in the same transaction. recover() at start removes unfinished
 *   writes and reports damaged segments; the quota (Settings.quotaBytes) and a full disk stop a
 *   write with STORAGE (details.reason 'quota' | 'disk-full'), nothing stored dropped.
 * - For the sync engine: store.list({syncState: 'waiting'}), store.read(hash) (the compressed bytes
 *   whose sha256 is the name), store.setSyncState(hash, state, uploadUrl), uploadMetaOf(row) (the
 *   collector's tus metadata).
 */
export {
  collectBox,
  parseSource,
  sourceName,
  DEFAULT_SOURCES,
  DEFAULT_MAX_BYTES_PER_SOURCE,
  type SourceSpec,
  type CollectOptions,
  type BoxCollection,
  type SourceFailure,
} from './sources.ts';
export type { SourceProgress, SourceResult } from './source.ts';
export {
  SegmentStore,
  SegmentWriter,
  MAX_SEGMENT_RAW,
  type SegmentRow,
  type SegmentProblem,
  type SegmentProblemKind,
  type RecoveryReport,
  type SyncState,
  type SegmentStoreOptions,
} from './segments.ts';
export { SegmentSink } from './sink.ts';
export { Redactor, compilePatterns, checkPattern, MAX_PATTERNS, type ExtraPattern, type RedactorOptions } from './redact.ts';
export { KINDS as REDACTION_KINDS } from './redact-rules.ts';
export { LineSplitter, MAX_LINE_BYTES, CUT_MARKER } from './lines.ts';
export { uploadMetaOf, encodeMetaValue, decodeMetaValue, type UploadMeta } from './upload-meta.ts';
export { DEFAULT_FILES } from './files.ts';
export { collectTarget, summaryLine, sizeText, type TargetCollection } from './collect-target.ts';
