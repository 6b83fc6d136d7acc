import type { DatabaseSync } from 'node:sqlite';

/** The queue of log segments waiting for the collector. The sync work fills in the draining. */
export class Outbox {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** How much is still waiting to leave the laptop. */
  summary(): { segments: number; bytes: number } {
    const row = this.#db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM outbox WHERE state != 'synced'`).get() as { n: number; b: number };
    return { segments: Number(row.n), bytes: Number(row.b) };
  }
}
