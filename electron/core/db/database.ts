import { DatabaseSync } from 'node:sqlite';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { ensurePrivateDir, ensurePrivateFile } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { migrations } from './migrations.ts';

/**
 * Opens (creating if needed) the local store at `file`, in WAL mode so the UI can read while a job
 * writes, and brings its schema up to the latest version. Use ':memory:' in unit tests. `file` lives
 * in the data folder: the folder is held to 0700 and the database (and its WAL files) to 0600, owned
 * by this user (see config/private.ts); a file made here is created 0600 from the start.
 */
export function openDatabase(file: string, upTo: number = migrations.length, log?: Logger): DatabaseSync {
  if (file !== ':memory:') {
    ensurePrivateDir(path.dirname(file), log);
    createPrivate(file);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) ensurePrivateFile(f, log);
  }
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

/** An empty file is a valid SQLite database: making it first, 0600 and exclusively, means SQLite never creates it with the umask's mode. */
function createPrivate(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new FieldlinkError('STORAGE', `Cannot create the Fieldlink database at ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
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
