import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { DatabaseSync } from 'node:sqlite';
import { FieldlinkError } from '../../../shared/errors.ts';
import { transaction } from '../db/index.ts';
import type { Logger } from '../log/index.ts';

/**
 * The segment store: immutable, zstd-compressed (level 3, with the frame checksum) pieces of
 * redacted log text, named by the sha256 of their compressed bytes, under
 * <dataDir>/segments/<first two hex>/<hash>.zst, catalogued in SQLite (migration 9).
 *
 * Crash safety: a segment is written to segments/tmp/<random>.tmp (O_EXCL), fsynced, renamed to its
 * hash name, the directory fsynced, and only then catalogued, in the same transaction as the
 * source's cursor moving past it. A crash before the commit leaves a temp file or an uncatalogued
 * file, both removed by recover(); the cursor did not move, so the lines are collected again. A
 * catalogued segment whose bytes are missing or wrong is reported (problem column, log warning),
 * never dropped.
 */
export type SyncState = 'waiting' | 'uploading' | 'synced';

export interface SegmentRow {
  hash: string;
  boxId: string;
  source: string;
  /** Source positions (journald cursor, inode:offset…) the segment starts after and ends at. */
  rangeFrom: string;
  rangeTo: string;
  /** ISO times of the first and last line. */
  timeFrom: string;
  timeTo: string;
  /** Compressed size on disk (what is uploaded), and the redacted text's size. */
  bytes: number;
  rawBytes: number;
  lines: number;
  redactions: Record<string, number>;
  createdAt: string;
  syncState: SyncState;
  uploadUrl: string | null;
  syncedAt: string | null;
  /** Set by recovery or verify(): 'missing', 'size' or 'hash'; null when the bytes are good. */
  problem: SegmentProblemKind | null;
}

export type SegmentProblemKind = 'missing' | 'size' | 'hash';
export interface SegmentProblem {
  hash: string;
  boxId: string;
  source: string;
  problem: SegmentProblemKind;
  path: string;
}

export interface RecoveryReport {
  removedTemp: number;
  /** Renamed but never catalogued (killed before the commit): their lines are collected again. */
  removedOrphans: number;
  checked: number;
  problems: SegmentProblem[];
}

export interface SegmentStoreOptions {
  dataDir: string;
  db: DatabaseSync;
  /** Read on every write, so a changed Setting applies at once. */
  quotaBytes: () => number;
  log?: Logger;
  /** Cap of one segment's redacted text; default 8 MiB. */
  maxRawBytes?: number;
}

export interface CommitInfo {
  rangeFrom: string;
  rangeTo: string;
  /** The source's cursor after this segment, stored with it in one transaction. */
  cursor: string;
  timeFrom?: number;
  timeTo?: number;
}

export const MAX_SEGMENT_RAW = 8 * 1024 * 1024;
const BATCH = 64 * 1024;

interface Row {
  hash: string;
  box_id: string;
  source: string;
  range_from: string;
  range_to: string;
  time_from: string;
  time_to: string;
  bytes: number;
  raw_bytes: number;
  lines: number;
  redactions: string;
  created_at: string;
  sync_state: SyncState;
  upload_url: string | null;
  synced_at: string | null;
  problem: SegmentProblemKind | null;
}

const toRow = (r: Row): SegmentRow => ({
  hash: r.hash,
  boxId: r.box_id,
  source: r.source,
  rangeFrom: r.range_from,
  rangeTo: r.range_to,
  timeFrom: r.time_from,
  timeTo: r.time_to,
  bytes: Number(r.bytes),
  rawBytes: Number(r.raw_bytes),
  lines: Number(r.lines),
  redactions: JSON.parse(r.redactions) as Record<string, number>,
  createdAt: r.created_at,
  syncState: r.sync_state,
  uploadUrl: r.upload_url,
  syncedAt: r.synced_at,
  problem: r.problem,
});

export const gib = (n: number) => `${(n / 1024 ** 3).toFixed(n >= 1024 ** 3 ? 1 : 3)} GiB`;

export class SegmentStore {
  readonly dir: string;
  readonly maxRawBytes: number;
  readonly #db: DatabaseSync;
  readonly #quota: () => number;
  readonly #log: Logger | undefined;
  /** Compressed bytes in writers not yet committed: they count against the quota too. */
  #inFlight = 0;
  /** Catalogued bytes, read once and kept in step by catalogue(): the quota check runs per written chunk. */
  #used: number | null = null;

  constructor(opts: SegmentStoreOptions) {
    this.dir = path.join(opts.dataDir, 'segments');
    this.#db = opts.db;
    this.#quota = opts.quotaBytes;
    this.#log = opts.log;
    this.maxRawBytes = opts.maxRawBytes ?? MAX_SEGMENT_RAW;
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true, mode: 0o700 });
  }

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new FieldlinkError('BAD_REQUEST', 'A segment is named by 64 lowercase hex characters.');
    return path.join(this.dir, hash.slice(0, 2), `${hash}.zst`);
  }

  /** Starts a segment for one box and source. Commit or abort it. */
  create(boxId: string, source: string): SegmentWriter {
    this.#checkQuota(0);
    return new SegmentWriter(this, boxId, source);
  }

  get(hash: string): SegmentRow | undefined {
    const r = this.#db.prepare('SELECT * FROM segments WHERE hash = ?').get(hash) as Row | undefined;
    return r ? toRow(r) : undefined;
  }

  /** Catalogued segments, newest first, optionally for one box, source or sync state. */
  list(filter: { boxId?: string; source?: string; syncState?: SyncState; limit?: number } = {}): SegmentRow[] {
    const conds = [
      ['box_id', filter.boxId],
      ['source', filter.source],
      ['sync_state', filter.syncState],
    ].filter((c): c is [string, string] => c[1] !== undefined);
    const where = conds.map(([col]) => `${col} = ?`);
    const args = conds.map(([, v]) => v);
    const sql = `SELECT * FROM segments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, hash LIMIT ${Math.max(1, Math.min(filter.limit ?? 10_000, 100_000))}`;
    return (this.#db.prepare(sql).all(...args) as unknown as Row[]).map(toRow);
  }

  /** Disk use against the quota, and what is still waiting for the collector. */
  usage(): { segments: number; bytes: number; rawBytes: number; waitingSegments: number; waitingBytes: number; quotaBytes: number; problems: number } {
    const r = this.#db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, COALESCE(SUM(raw_bytes), 0) AS rb,
           COALESCE(SUM(sync_state != 'synced'), 0) AS wn, COALESCE(SUM(CASE WHEN sync_state != 'synced' THEN bytes ELSE 0 END), 0) AS wb,
           COALESCE(SUM(problem IS NOT NULL), 0) AS p FROM segments`,
      )
      .get() as Record<string, number>;
    return {
      segments: Number(r.n),
      bytes: Number(r.b),
      rawBytes: Number(r.rb),
      waitingSegments: Number(r.wn),
      waitingBytes: Number(r.wb),
      quotaBytes: this.#quota(),
      problems: Number(r.p),
    };
  }

  /** Where a box's source was collected up to; null when never. */
  cursor(boxId: string, source: string): string | null {
    const r = this.#db.prepare('SELECT cursor FROM log_cursors WHERE box_id = ? AND source = ?').get(boxId, source) as { cursor: string } | undefined;
    return r?.cursor ?? null;
  }

  /** Moves a cursor with no segment (e.g. a rotated file with nothing new, or nothing to collect). */
  setCursor(boxId: string, source: string, cursor: string): void {
    this.#putCursor(boxId, source, cursor);
  }

  /** The compressed bytes as stored (what the uploader sends; their sha256 is the name). */
  read(hash: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(hash));
  }

  /** The redacted text, decompressed as it streams. */
  readText(hash: string): Readable {
    return this.read(hash).pipe(zlib.createZstdDecompress());
  }

  /** For the sync engine: a segment's upload state and its tus upload URL (persisted to resume). */
  setSyncState(hash: string, state: SyncState, uploadUrl?: string | null): void {
    this.#db
      .prepare(`UPDATE segments SET sync_state = ?, upload_url = COALESCE(?, upload_url), synced_at = CASE WHEN ? = 'synced' THEN ? ELSE synced_at END WHERE hash = ?`)
      .run(state, uploadUrl ?? null, state, new Date().toISOString(), hash);
  }

  /** Streams the file through sha256 and records (or clears) a problem. */
  async verify(hash: string): Promise<SegmentProblemKind | null> {
    const row = this.get(hash);
    if (!row) throw new FieldlinkError('NOT_FOUND', `No segment ${hash.slice(0, 12)}… in the catalogue.`);
    const problem = await this.#check(row, true);
    this.#setProblem(hash, problem);
    return problem;
  }

  /** Catalogued segments whose bytes are missing or wrong, as last found. */
  problems(): SegmentProblem[] {
    return (this.#db.prepare('SELECT * FROM segments WHERE problem IS NOT NULL ORDER BY created_at').all() as unknown as Row[]).map((r) => ({
      hash: r.hash,
      boxId: r.box_id,
      source: r.source,
      problem: r.problem!,
      path: this.pathOf(r.hash),
    }));
  }

  /**
   * At start: removes half-written temp files and uncatalogued files, checks every catalogued
   * segment's size (and, with verifyHashes, its sha256), and reports the bad ones.
   */
  async recover(opts: { verifyHashes?: boolean } = {}): Promise<RecoveryReport> {
    const report: RecoveryReport = { removedTemp: 0, removedOrphans: 0, checked: 0, problems: [] };
    const tmp = path.join(this.dir, 'tmp');
    for (const f of fs.readdirSync(tmp)) {
      fs.rmSync(path.join(tmp, f), { force: true });
      report.removedTemp++;
    }
    const known = this.#db.prepare('SELECT 1 FROM segments WHERE hash = ?');
    for (const sub of fs.readdirSync(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const f of fs.readdirSync(path.join(this.dir, sub))) {
        const m = /^([0-9a-f]{64})\.zst$/.exec(f);
        if (m && known.get(m[1]!)) continue;
        fs.rmSync(path.join(this.dir, sub, f), { force: true });
        report.removedOrphans++;
      }
    }
    for (const r of this.#db.prepare('SELECT * FROM segments').iterate() as Iterable<Row>) {
      const row = toRow(r);
      report.checked++;
      const problem = await this.#check(row, opts.verifyHashes ?? false);
      if (problem !== row.problem && (problem !== null || !opts.verifyHashes || row.problem !== 'hash')) this.#setProblem(row.hash, problem);
      if (problem) report.problems.push({ hash: row.hash, boxId: row.boxId, source: row.source, problem, path: this.pathOf(row.hash) });
    }
    if (report.removedTemp || report.removedOrphans)
      this.#log?.info({ removedTemp: report.removedTemp, removedOrphans: report.removedOrphans }, 'segment store: removed unfinished writes');
    for (const p of report.problems.slice(0, 50))
      this.#log?.warn({ hash: p.hash, box: p.boxId, source: p.source, problem: p.problem }, 'segment store: a catalogued segment is damaged');
    return report;
  }

  async #check(row: SegmentRow, hashToo: boolean): Promise<SegmentProblemKind | null> {
    const file = this.pathOf(row.hash);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return 'missing';
    }
    if (size !== row.bytes) return 'size';
    if (!hashToo) return row.problem === 'hash' ? 'hash' : null;
    const h = createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
    return h.digest('hex') === row.hash ? null : 'hash';
  }

  #setProblem(hash: string, problem: SegmentProblemKind | null): void {
    this.#db.prepare('UPDATE segments SET problem = ? WHERE hash = ?').run(problem, hash);
  }

  #putCursor(boxId: string, source: string, cursor: string): void {
    this.#db
      .prepare(
        'INSERT INTO log_cursors (box_id, source, cursor, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (box_id, source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at',
      )
      .run(boxId, source, cursor, new Date().toISOString());
  }

  /** @internal Throws the quota error when `more` bytes would pass it. */
  checkQuota(more: number): void {
    this.#checkQuota(more);
  }

  #checkQuota(more: number): void {
    const quota = this.#quota();
    this.#used ??= this.usage().bytes;
    const used = this.#used + this.#inFlight;
    if (used + more <= quota) return;
    throw new FieldlinkError(
      'STORAGE',
      `The log store is full: ${gib(used)} of the ${gib(quota)} quota used. Collection paused and nothing stored was dropped; sync to the collector, or raise the quota in Settings, then collect again.`,
      { reason: 'quota', quota, used },
    );
  }

  /** @internal Book-keeping of bytes written by open writers. */
  addInFlight(n: number): void {
    this.#inFlight += n;
  }

  /** @internal Catalogues a finished file and moves the cursor, in one transaction. */
  catalogue(row: SegmentRow, cursor: string): SegmentRow {
    transaction(this.#db, () => {
      this.#db
        .prepare(
          `INSERT INTO segments (hash, box_id, source, range_from, range_to, time_from, time_to, bytes, raw_bytes, lines, redactions, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
        )
        .run(
          row.hash,
          row.boxId,
          row.source,
          row.rangeFrom,
          row.rangeTo,
          row.timeFrom,
          row.timeTo,
          row.bytes,
          row.rawBytes,
          row.lines,
          JSON.stringify(row.redactions),
          row.createdAt,
        );
      this.#putCursor(row.boxId, row.source, cursor);
    });
    this.#used = null;
    return this.get(row.hash)!;
  }
}

/**
 * One segment being written: lines in, zstd out to an O_EXCL temp file as they come (never the
 * whole segment in memory: a 64 KiB batch and the compressor's window). `full` says when the
 * segment reached its raw cap and should be committed.
 */
export class SegmentWriter {
  readonly boxId: string;
  readonly source: string;
  readonly #store: SegmentStore;
  readonly #tmp: string;
  readonly #fd: number;
  readonly #hash = createHash('sha256');
  readonly #z: zlib.ZstdCompress;
  #batch: string[] = [];
  #batchBytes = 0;
  #bytes = 0;
  #raw = 0;
  #lines = 0;
  #error: unknown = null;
  #done = false;

  constructor(store: SegmentStore, boxId: string, source: string) {
    this.#store = store;
    this.boxId = boxId;
    this.source = source;
    this.#tmp = path.join(store.dir, 'tmp', `${randomBytes(12).toString('hex')}.tmp`);
    this.#fd = fs.openSync(this.#tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    this.#z = zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    this.#z.on('data', (c: Buffer) => this.#out(c));
    this.#z.on('error', (e) => (this.#error ??= e));
  }

  get lines(): number {
    return this.#lines;
  }
  get rawBytes(): number {
    return this.#raw;
  }
  get full(): boolean {
    return this.#raw >= this.#store.maxRawBytes;
  }

  /** Adds one line (already redacted; its newline is added here). */
  async add(line: string): Promise<void> {
    this.#throwIfFailed();
    const n = Buffer.byteLength(line) + 1;
    this.#batch.push(line, '\n');
    this.#batchBytes += n;
    this.#raw += n;
    this.#lines++;
    if (this.#batchBytes >= BATCH) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#batchBytes === 0) return;
    const buf = Buffer.from(this.#batch.join(''), 'utf8');
    this.#batch = [];
    this.#batchBytes = 0;
    this.#store.checkQuota(0);
    if (!this.#z.write(buf)) await new Promise<void>((resolve) => this.#z.once('drain', resolve));
    this.#throwIfFailed();
  }

  #out(c: Buffer): void {
    if (this.#error) return;
    try {
      this.#store.checkQuota(c.length);
      fs.writeSync(this.#fd, c);
      this.#hash.update(c);
      this.#bytes += c.length;
      this.#store.addInFlight(c.length);
    } catch (e) {
      this.#error = e;
      this.#z.destroy();
    }
  }

  #throwIfFailed(): void {
    if (!this.#error) return;
    const e = this.#error;
    this.abort();
    throw diskError(e);
  }

  /** Writes the rest, fsyncs, renames to the hash name, fsyncs the folder, catalogues with the cursor. */
  async commit(info: CommitInfo, redactions: Record<string, number>): Promise<SegmentRow> {
    if (this.#done) throw new FieldlinkError('INTERNAL', 'This segment was already committed or aborted.');
    try {
      await this.#flush();
      await new Promise<void>((resolve, reject) => {
        this.#z.once('end', resolve);
        this.#z.once('error', reject);
        this.#z.once('close', () => (this.#error ? reject(this.#error as Error) : resolve()));
        this.#z.end();
      });
      this.#throwIfFailed();
      // Frees the compressor's native context now rather than at some later GC.
      this.#z.close();
      fs.fsyncSync(this.#fd);
      fs.closeSync(this.#fd);
      this.#done = true;
      const hash = this.#hash.digest('hex');
      const final = this.#store.pathOf(hash);
      fs.mkdirSync(path.dirname(final), { recursive: true, mode: 0o700 });
      fs.renameSync(this.#tmp, final);
      fsyncDir(path.dirname(final));
      const now = new Date();
      const iso = (t: number | undefined) => (t !== undefined && Number.isFinite(t) ? new Date(t) : now).toISOString();
      const row: SegmentRow = {
        hash,
        boxId: this.boxId,
        source: this.source,
        rangeFrom: info.rangeFrom,
        rangeTo: info.rangeTo,
        timeFrom: iso(info.timeFrom),
        timeTo: iso(info.timeTo ?? info.timeFrom),
        bytes: this.#bytes,
        rawBytes: this.#raw,
        lines: this.#lines,
        redactions,
        createdAt: now.toISOString(),
        syncState: 'waiting',
        uploadUrl: null,
        syncedAt: null,
        problem: null,
      };
      const out = this.#store.catalogue(row, info.cursor);
      this.#store.addInFlight(-this.#bytes);
      return out;
    } catch (e) {
      this.abort();
      throw e instanceof FieldlinkError ? e : diskError(e);
    }
  }

  /** Drops the temp file; the catalogue and cursor are untouched. Safe to call twice. */
  abort(): void {
    if (!this.#done) {
      this.#done = true;
      this.#z.destroy();
      try {
        fs.closeSync(this.#fd);
      } catch {
        // already closed
      }
      this.#store.addInFlight(-this.#bytes);
    }
    fs.rmSync(this.#tmp, { force: true });
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function diskError(e: unknown): FieldlinkError {
  if (e instanceof FieldlinkError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new FieldlinkError(
      'STORAGE',
      "The laptop's disk is full: the segment being written was removed and nothing catalogued changed. Free some space (or sync the outbox), then collect again.",
      { reason: 'disk-full' },
      { cause: e },
    );
  return new FieldlinkError(
    'STORAGE',
    `Writing a log segment failed (${code ?? (e as Error).message}); nothing catalogued changed. Check the data folder, then collect again.`,
    { reason: 'write' },
    { cause: e },
  );
}
