import { DatabaseSync } from 'node:sqlite';
import type { SegmentMeta } from './metadata.ts';

/**
 * The index of stored segments, in node:sqlite (as the app's own store): the UNIQUE sha256 makes
 * "stored once" a constraint rather than a scan, box/time and receipt queries use indexes instead
 * of reading a whole JSON-lines file into memory, and synchronous=FULL makes a committed row
 * durable before its receipt is answered.
 */
export interface SegmentRow extends SegmentMeta {
  seq: number;
  size: number;
  technician: string;
  receivedAt: string;
}

interface DbRow {
  seq: number;
  sha256: string;
  size: number;
  box: string;
  source: string;
  from_time: string;
  to_time: string;
  from_ms: number;
  to_ms: number;
  filename: string | null;
  range_text: string | null;
  technician: string;
  received_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS segments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  box TEXT NOT NULL,
  source TEXT NOT NULL,
  from_time TEXT NOT NULL,
  to_time TEXT NOT NULL,
  from_ms INTEGER NOT NULL,
  to_ms INTEGER NOT NULL,
  filename TEXT,
  range_text TEXT,
  technician TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_box_time ON segments (box, from_ms, to_ms);
`;

export class Catalog {
  readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
  }

  get(sha256: string): SegmentRow | undefined {
    const r = this.db.prepare('SELECT * FROM segments WHERE sha256 = ?').get(sha256) as DbRow | undefined;
    return r ? toRow(r) : undefined;
  }

  /** Adds a segment; false when its hash was already there (nothing changes then). */
  add(meta: SegmentMeta, size: number, technician: string, receivedAt = new Date()): boolean {
    const res = this.db
      .prepare(
        `INSERT OR IGNORE INTO segments (sha256, size, box, source, from_time, to_time, from_ms, to_ms, filename, range_text, technician, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        meta.sha256,
        size,
        meta.box,
        meta.source,
        meta.from,
        meta.to,
        Date.parse(meta.from),
        Date.parse(meta.to),
        meta.filename ?? null,
        meta.range ?? null,
        technician,
        receivedAt.toISOString(),
      );
    return res.changes === 1;
  }

  /**
   * Adds a row whose sequence number was given elsewhere (the S3 mode: Redis hands out receipt
   * numbers and the bucket holds the receipts; this catalog is then only an index of them).
   */
  put(row: SegmentRow): boolean {
    const res = this.db
      .prepare(
        `INSERT OR IGNORE INTO segments (seq, sha256, size, box, source, from_time, to_time, from_ms, to_ms, filename, range_text, technician, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.seq,
        row.sha256,
        row.size,
        row.box,
        row.source,
        row.from,
        row.to,
        Date.parse(row.from),
        Date.parse(row.to),
        row.filename ?? null,
        row.range ?? null,
        row.technician,
        row.receivedAt,
      );
    return res.changes === 1;
  }

  hasSeq(seq: number): boolean {
    return this.db.prepare('SELECT 1 FROM segments WHERE seq = ?').get(seq) !== undefined;
  }

  maxSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS m FROM segments').get() as { m: number }).m;
  }

  /** Receipts after a sequence number, oldest first. */
  since(seq: number, limit: number): SegmentRow[] {
    return (this.db.prepare('SELECT * FROM segments WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as unknown as DbRow[]).map(toRow);
  }

  /** Receipts received after a time, oldest first. */
  receivedAfter(iso: string, limit: number): SegmentRow[] {
    return (this.db.prepare('SELECT * FROM segments WHERE received_at > ? ORDER BY seq LIMIT ?').all(iso, limit) as unknown as DbRow[]).map(toRow);
  }

  /** A box's segments whose [from, to] overlaps [fromMs, toMs], by time, after a sequence cursor. */
  list(box: string, fromMs: number, toMs: number, afterSeq: number, limit: number): SegmentRow[] {
    return (
      this.db
        .prepare('SELECT * FROM segments WHERE box = ? AND to_ms >= ? AND from_ms <= ? AND seq > ? ORDER BY seq LIMIT ?')
        .all(box, fromMs, toMs, afterSeq, limit) as unknown as DbRow[]
    ).map(toRow);
  }

  count(): { segments: number; bytes: number } {
    const r = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM segments').get() as { n: number; b: number };
    return { segments: r.n, bytes: r.b };
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function toRow(r: DbRow): SegmentRow {
  const row: SegmentRow = {
    seq: r.seq,
    sha256: r.sha256,
    size: r.size,
    box: r.box,
    source: r.source,
    from: r.from_time,
    to: r.to_time,
    technician: r.technician,
    receivedAt: r.received_at,
  };
  if (r.filename !== null) row.filename = r.filename;
  if (r.range_text !== null) row.range = r.range_text;
  return row;
}
