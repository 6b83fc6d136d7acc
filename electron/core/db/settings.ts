import type { DatabaseSync } from 'node:sqlite';
import os from 'node:os';
import { Settings } from '../../../shared/model.ts';

const DEFAULTS: Settings = {
  technician: safeUsername(),
  site: '',
  theme: 'light',
  collectorUrl: null,
  quotaBytes: 2 * 1024 ** 3,
};

/** The technician's settings, stored as one JSON value per key and always read back through the schema. */
export class SettingsStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(): Settings {
    const rows = this.#db.prepare('SELECT key, value FROM settings').all() as unknown as { key: string; value: string }[];
    const stored: Record<string, unknown> = {};
    for (const r of rows) stored[r.key] = JSON.parse(r.value);
    // A value written by an older version that no longer fits falls back to its default.
    const merged = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof Settings)[]) {
      const field = Settings.shape[key].safeParse(stored[key]);
      if (field.success) (merged as Record<string, unknown>)[key] = field.data;
    }
    return merged;
  }

  set(patch: Partial<Settings>): Settings {
    const next = Settings.parse({ ...this.get(), ...patch });
    const put = this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) put.run(k, JSON.stringify(next[k as keyof Settings]));
    return next;
  }
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'technician';
  }
}
