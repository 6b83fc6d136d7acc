import type { DatabaseSync } from 'node:sqlite';
import type { Sealer } from './sealer.ts';

/**
 * Passwords and tokens, sealed at rest. Names say what a secret is for, e.g. `box-password:SN123`,
 * `collector-token`. Values never leave through the contract or any log.
 */
export class SecretStore {
  readonly #db: DatabaseSync;
  readonly #sealer: Sealer;
  constructor(db: DatabaseSync, sealer: Sealer) {
    this.#db = db;
    this.#sealer = sealer;
  }

  get kind(): Sealer['kind'] {
    return this.#sealer.kind;
  }

  set(name: string, value: string): void {
    const sealed = this.#sealer.seal(Buffer.from(value, 'utf8'));
    this.#db
      .prepare('INSERT INTO secrets (name, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at')
      .run(name, sealed, new Date().toISOString());
  }

  get(name: string): string | undefined {
    const row = this.#db.prepare('SELECT sealed FROM secrets WHERE name = ?').get(name) as { sealed: Uint8Array } | undefined;
    return row ? this.#sealer.open(Buffer.from(row.sealed)).toString('utf8') : undefined;
  }

  delete(name: string): boolean {
    return Number(this.#db.prepare('DELETE FROM secrets WHERE name = ?').run(name).changes) > 0;
  }

  names(): string[] {
    return (this.#db.prepare('SELECT name FROM secrets ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }
}
