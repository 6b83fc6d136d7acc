import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { FieldlinkError } from '../../../shared/errors.ts';
import { ensurePrivateDir, ensurePrivateFile } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import { fingerprintOf } from '../transport/index.ts';

/** The per-laptop key a technician's boxes trust; the private half never leaves the data dir. */
export interface TechnicianKey {
  privateKeyPath: string;
  /** One OpenSSH authorized_keys line: `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
  /** SHA256:… as `ssh-keygen -lf` shows it. */
  fingerprint: string;
  /** True when this call created it. */
  created: boolean;
}

export function technicianKeyPath(dataDir: string): string {
  return path.join(dataDir, 'keys', 'technician_ed25519');
}

/**
 * The technician key if it exists; null otherwise. A corrupt key is an error, never silently
 * replaced. Its folder (0700) and file (0600) are held private before it is read: tightened and
 * logged if others could get at them, refused if another user owns them (they could swap the key).
 */
export function readTechnicianKey(dataDir: string, log?: Logger): TechnicianKey | null {
  const file = technicianKeyPath(dataDir);
  if (!fs.existsSync(file)) return null;
  ensurePrivateDir(path.dirname(file), log);
  ensurePrivateFile(file, log);
  let priv: string;
  try {
    priv = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FieldlinkError('STORAGE', `Cannot read the technician key at ${file}.`, undefined, { cause: err });
  }
  const parsed = ssh2.utils.parseKey(priv);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.getPrivatePEM() === null) {
    throw new FieldlinkError(
      'STORAGE',
      `The technician key at ${file} is damaged. Move it away and run "fieldlink keys" to make a new one (boxes must then learn the new public key).`,
    );
  }
  const blob = key.getPublicSSH();
  const comment = (key.comment || '').replace(/[\r\n]/g, ' ').trim();
  return {
    privateKeyPath: file,
    publicKey: `${key.type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
    fingerprint: fingerprintOf(blob),
    created: false,
  };
}

/**
 * Returns the technician key, creating an ed25519 one (0600, in the data dir) the first time. Two
 * processes racing to create it both end up with the same key: the file is created exclusively.
 */
export function ensureTechnicianKey(dataDir: string, opts: { comment?: string; log?: Logger } = {}): TechnicianKey {
  const existing = readTechnicianKey(dataDir, opts.log);
  if (existing) return existing;
  const file = technicianKeyPath(dataDir);
  const comment = opts.comment ?? `fieldlink@${os.hostname()}`;
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  ensurePrivateDir(path.dirname(file), opts.log);
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, pair.private, { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 });
    try {
      // link() fails if another process won the race; theirs stands and ours is dropped.
      fs.linkSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new FieldlinkError('STORAGE', `Cannot write the technician key under ${path.dirname(file)}.`, undefined, { cause: err });
    }
  }
  const key = readTechnicianKey(dataDir, opts.log);
  if (!key) throw new FieldlinkError('STORAGE', `The technician key vanished from ${file} while it was being created.`);
  // The .pub beside it is a convenience for people; keep it in step with whichever key won.
  fs.writeFileSync(`${file}.pub`, `${key.publicKey}\n`, { mode: 0o644 });
  return { ...key, created: key.publicKey.split(' ')[1] === pair.public.split(' ')[1] };
}
