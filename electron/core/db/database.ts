import { DatabaseSync } from 'node:sqlite';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { migrations } from './migrations.ts';

/**
 * Opens (creating if needed) the local store at `file`, in WAL mode so the UI can read while a job
 * writes, and brings its schema up to the latest version. Use ':memory:' in unit tests.
 */
export function openDatabase(file: string, upTo: number = migrations.length): DatabaseSync {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  } catch (err) {
    throw new FieldlinkError('STORAGE', `Cannot open the Fieldlink database at ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  migrate(db, upTo);
  return db;
}

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}

/** Applies each migration after the database's version, each in its own transaction. */
export function migrate(db: DatabaseSync, upTo: number = migrations.length): void {
  const from = schemaVersion(db);
  if (from > migrations.length) {
    throw new FieldlinkError('STORAGE', `This database was written by a newer Fieldlink (schema ${from}); update Fieldlink to open it.`);
  }
  for (let v = from; v < upTo; v++) {
    db.exec('BEGIN');
    try {
      db.exec(migrations[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new FieldlinkError('STORAGE', `Database migration ${v + 1} failed: ${(err as Error).message}`, undefined, { cause: err });
    }
  }
}

/** Runs `fn` in one transaction: all of it lands, or none. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
