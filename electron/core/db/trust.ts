import type { DatabaseSync } from 'node:sqlite';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { TrustPin, TrustSource } from '../../../shared/model.ts';

interface PinRow {
  host: string;
  port: number;
  key_type: string;
  fingerprint: string;
  box_id: string | null;
  source: string;
  pinned_at: string;
}

/** Pinned SSH host keys, one per (host, port, key type), with where each pin came from. */
export class TrustStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /**
   * Adds or updates the pin for (host, port, key type). The decisions (is this key allowed here?)
   * belong to core/trust; the table only refuses to hand one box's pin to another box.
   */
  pin(p: { host: string; port: number; keyType: string; fingerprint: string; source: TrustSource; boxId?: string | null }): TrustPin {
    const existing = this.forHost(p.host, p.port).find((x) => x.keyType === p.keyType);
    if (existing?.boxId && p.boxId && existing.boxId !== p.boxId) {
      throw new FieldlinkError('CONFLICT', `${p.host}:${p.port} is pinned for box ${existing.boxId}, not ${p.boxId}; its pin was left as it is.`, {
        host: p.host,
        port: p.port,
        boxId: existing.boxId,
      });
    }
    const pinnedAt = new Date().toISOString();
    this.#db
      .prepare(
        `INSERT INTO trust_pins (host, port, key_type, fingerprint, box_id, source, pinned_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (host, port, key_type) DO UPDATE SET fingerprint = excluded.fingerprint, box_id = COALESCE(excluded.box_id, box_id),
           source = excluded.source, pinned_at = excluded.pinned_at`,
      )
      .run(p.host, p.port, p.keyType, p.fingerprint, p.boxId ?? null, p.source, pinnedAt);
    return this.forHost(p.host, p.port).find((x) => x.keyType === p.keyType)!;
  }

  forHost(host: string, port: number): TrustPin[] {
    return (this.#db.prepare('SELECT * FROM trust_pins WHERE host = ? AND port = ? ORDER BY key_type').all(host, port) as unknown as PinRow[]).map(toPin);
  }

  forBox(boxId: string): TrustPin[] {
    return (this.#db.prepare('SELECT * FROM trust_pins WHERE box_id = ? ORDER BY host, key_type').all(boxId) as unknown as PinRow[]).map(toPin);
  }

  list(): TrustPin[] {
    return (this.#db.prepare('SELECT * FROM trust_pins ORDER BY host, port, key_type').all() as unknown as PinRow[]).map(toPin);
  }

  /** Replaces every pin of (host, port) with these, in one transaction (a box re-read over its cable). */
  replace(host: string, port: number, pins: Array<{ keyType: string; fingerprint: string; source: TrustSource; boxId: string | null }>): TrustPin[] {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.forget(host, port);
      for (const p of pins) this.pin({ host, port, ...p });
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
    return this.forHost(host, port);
  }

  forget(host: string, port: number): number {
    return Number(this.#db.prepare('DELETE FROM trust_pins WHERE host = ? AND port = ?').run(host, port).changes);
  }
}

function toPin(r: PinRow): TrustPin {
  return {
    host: r.host,
    port: r.port,
    boxId: r.box_id,
    keyType: r.key_type,
    fingerprint: r.fingerprint,
    source: r.source as TrustSource,
    pinnedAt: r.pinned_at,
  };
}
