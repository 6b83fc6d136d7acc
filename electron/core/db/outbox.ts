import type { DatabaseSync } from 'node:sqlite';

/**
 * What still waits to leave the laptop, for the status bar: catalogued log segments not yet synced
 * with good bytes (damaged ones are never sent; the Logs list shows them). Migration 3's `outbox`
 * table predates the segment catalogue (migration 9) and is no longer written.
 */
export class Outbox {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  summary(): { segments: number; bytes: number } {
    const row = this.#db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM segments WHERE sync_state != 'synced' AND problem IS NULL`).get() as {
      n: number;
      b: number;
    };
    return { segments: Number(row.n), bytes: Number(row.b) };
  }
}
