import { describe, expect, it } from 'vitest';
import { canCheck, needsRoot } from '../../../test/fixtures/needs.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../db/index.ts';
import { SecretStore, keyFileSealer } from './index.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fl-secrets-'));

describe('secrets at rest', () => {
  it('keeps a password sealed in the database and opens it again', () => {
    const dir = tmp();
    const db = openDatabase(path.join(dir, 'fieldlink.db'));
    const store = new SecretStore(db, keyFileSealer(dir));
    store.set('box-password:SN1', 'hunter2-label-pw');
    expect(store.get('box-password:SN1')).toBe('hunter2-label-pw');
    const raw = db.prepare('SELECT sealed FROM secrets').get() as { sealed: Uint8Array };
    expect(Buffer.from(raw.sealed).toString('latin1')).not.toContain('hunter2');
    expect(fs.readFileSync(path.join(dir, 'fieldlink.db')).toString('latin1')).not.toContain('hunter2');
  });

  it('creates its key file readable by the technician only', () => {
    const dir = tmp();
    keyFileSealer(dir);
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')('makes an existing key file and folder private again on open, and refuses one of another user', () => {
    const dir = tmp();
    const sealed = keyFileSealer(dir).seal(Buffer.from('token'));
    fs.chmodSync(path.join(dir, 'secret.key'), 0o644);
    fs.chmodSync(dir, 0o755);
    expect(keyFileSealer(dir).open(sealed).toString()).toBe('token');
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    if (canCheck(needsRoot('chown to another user'), 'the key-file owner check')) {
      fs.chownSync(path.join(dir, 'secret.key'), 65534, 65534);
      expect(() => keyFileSealer(dir)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/belongs to another user/) }));
    }
  });

  it('reuses the same key across processes, so secrets survive a restart', () => {
    const dir = tmp();
    const sealed = keyFileSealer(dir).seal(Buffer.from('token'));
    expect(keyFileSealer(dir).open(sealed).toString()).toBe('token');
  });

  it('says a tampered secret is damaged instead of returning garbage', () => {
    const dir = tmp();
    const s = keyFileSealer(dir);
    const sealed = s.seal(Buffer.from('token'));
    sealed[sealed.length - 1]! ^= 1;
    expect(() => s.open(sealed)).toThrowError(/cannot be opened/);
  });
});
