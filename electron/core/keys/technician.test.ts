import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { itWith, needsRoot } from '../../../test/fixtures/needs.ts';
import { Writable } from 'node:stream';
import { createLogger } from '../log/index.ts';
import { ensureTechnicianKey, readTechnicianKey, technicianKeyPath } from './index.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-key-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('technician key', () => {
  it('is created once as ed25519, private half 0600, and shown the same afterwards', () => {
    const d = tmp();
    expect(readTechnicianKey(d)).toBeNull();
    const k = ensureTechnicianKey(d, { comment: 'tech@laptop' });
    expect(k.created).toBe(true);
    expect(k.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ tech@laptop$/);
    expect(k.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fs.statSync(technicianKeyPath(d)).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${technicianKeyPath(d)}.pub`, 'utf8').trim()).toBe(k.publicKey);
    const again = ensureTechnicianKey(d);
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(k.fingerprint);
  });

  it.skipIf(process.platform === 'win32')('makes a key other users can read private again, and says so, keeping the same key', () => {
    const d = tmp();
    const k = ensureTechnicianKey(d);
    fs.chmodSync(technicianKeyPath(d), 0o644);
    fs.chmodSync(path.dirname(technicianKeyPath(d)), 0o755);
    const lines: string[] = [];
    const log = createLogger({ destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    expect(readTechnicianKey(d, log)?.fingerprint).toBe(k.fingerprint);
    expect(fs.statSync(technicianKeyPath(d)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(technicianKeyPath(d))).mode & 0o777).toBe(0o700);
    expect(lines.join('')).toMatch(/data file was open to other users/);
  });

  itWith(
    process.platform === 'win32' ? 'needs POSIX file owners' : needsRoot('chown to another user'),
    'refuses a key owned by another user: whoever owns it could swap it',
    () => {
      const d = tmp();
      ensureTechnicianKey(d);
      fs.chownSync(technicianKeyPath(d), 65534, 65534);
      expect(() => readTechnicianKey(d)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/belongs to another user/) }));
      expect(() => ensureTechnicianKey(d)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/belongs to another user/) }));
    },
  );

  it('refuses a damaged key instead of replacing it', () => {
    const d = tmp();
    ensureTechnicianKey(d);
    fs.writeFileSync(technicianKeyPath(d), 'not a key');
    expect(() => readTechnicianKey(d)).toThrow(/damaged/);
    expect(() => ensureTechnicianKey(d)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/is damaged\. Move it away/) }));
  });
});
