import { describe, expect, it } from 'vitest';
import { canCheck, needsRoot } from '../../../test/fixtures/needs.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { latestVersion, migrate, openDatabase, schemaVersion } from './index.ts';
import { Inventory } from './inventory.ts';

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fl-db-')), 'fieldlink.db');
}

/** Rows a database at each version could hold, so upgrades are tested with data, not empty tables. */
const seedAt: Record<number, (db: DatabaseSync) => void> = {
  1: (db) => {
    db.exec(`INSERT INTO boxes (id, hostname, first_seen, last_seen) VALUES ('SN1', 'edge-1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`);
    db.exec(`INSERT INTO sightings (box_id, source, address, at) VALUES ('SN1', 'mdns', '10.0.0.5', '2026-01-01T00:00:00Z')`);
  },
  2: (db) => {
    db.exec(`INSERT INTO trust_pins VALUES ('10.0.0.5', 22, 'ssh-ed25519', 'SHA256:abc', 'SN1', 'serial', '2026-01-01T00:00:00Z')`);
    db.exec(`INSERT INTO audit (at, box_id, actor, action, outcome) VALUES ('2026-01-01T00:00:00Z', 'SN1', 'ana', 'trust.pin', 'ok')`);
  },
  3: (db) => {
    db.exec(`INSERT INTO outbox (sha256, source, path, bytes, created_at) VALUES ('ff', 'journal', '/x', 10, '2026-01-01T00:00:00Z')`);
  },
};

describe('local store', () => {
  it('migrates an empty database to the latest schema in WAL mode', () => {
    const file = tmpFile();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(latestVersion);
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    db.close();
  });

  for (let from = 1; from < latestVersion; from++) {
    it(`upgrades a database written at version ${from} without losing its rows`, () => {
      const file = tmpFile();
      const old = openDatabase(file, from);
      for (let v = 1; v <= from; v++) seedAt[v]?.(old);
      old.close();

      const db = openDatabase(file);
      expect(schemaVersion(db)).toBe(latestVersion);
      const box = new Inventory(db).get('SN1');
      expect(box?.hostname).toBe('edge-1');
      expect(box?.trust).toBe(from >= 2 ? 'cable' : 'unknown');
      db.close();
    });
  }

  it.skipIf(process.platform === 'win32')('creates the database 0600 in a 0700 folder, and holds existing ones to that on open', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fl-db-')), 'data', 'fieldlink.db');
    const prev = process.umask(0o022);
    try {
      openDatabase(file).close();
    } finally {
      process.umask(prev);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    fs.chmodSync(file, 0o644);
    fs.chmodSync(path.dirname(file), 0o755);
    openDatabase(file).close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    if (canCheck(needsRoot('chown to another user'), 'the database owner check')) {
      fs.chownSync(file, 65534, 65534);
      expect(() => openDatabase(file)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/belongs to another user/) }));
    }
  });

  it('refuses a database from a newer Fieldlink instead of damaging it', () => {
    const file = tmpFile();
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${latestVersion + 5}`);
    db.close();
    expect(() => openDatabase(file)).toThrowError(/newer Fieldlink/);
  });

  it('rolls a failing migration back whole and says which one', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE boxes (x)'); // collides with migration 1
    expect(() => migrate(db)).toThrowError(/migration 1 failed/);
    expect(schemaVersion(db)).toBe(0);
  });
});
