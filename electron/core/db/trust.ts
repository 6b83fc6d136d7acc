import type { DatabaseSync } from 'node:sqlite';
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

  pin(p: { host: string; port: number; keyType: string; fingerprint: string; source: TrustSource; boxId?: string | null }): TrustPin {
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
