import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { ensurePrivateDir, ensurePrivateFile } from '../config/index.ts';
import type { Logger } from '../log/index.ts';

/**
 * Seals secrets before they are stored. The Electron shell passes one backed by safeStorage (the OS
 * keychain); the CLI and browser host use a key file readable only by the technician (0600).
 */
export interface Sealer {
  readonly kind: 'keychain' | 'key-file';
  seal(plain: Buffer): Buffer;
  open(sealed: Buffer): Buffer;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random key kept in `<dataDir>/secret.key` (created 0600 on first use). The
 * folder and key are held private on every open: tightened (and logged) if others could read them,
 * refused if another user owns them.
 */
export function keyFileSealer(dataDir: string, log?: Logger): Sealer {
  ensurePrivateDir(dataDir, log);
  const key = loadOrCreateKey(path.join(dataDir, 'secret.key'), log);
  return {
    kind: 'key-file',
    seal(plain) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed) {
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new FieldlinkError('STORAGE', 'A stored secret is damaged; enter it again.');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      } catch {
        throw new FieldlinkError('STORAGE', "A stored secret cannot be opened with this laptop's key (was the key file replaced?); enter it again.");
      }
    },
  };
}

function loadOrCreateKey(file: string, log?: Logger): Buffer {
  ensurePrivateFile(file, log);
  try {
    const key = fs.readFileSync(file);
    if (key.length !== KEY_BYTES)
      throw new FieldlinkError('STORAGE', `The secret key file ${file} is damaged. Move it away to start afresh (stored secrets will need entering again).`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = crypto.randomBytes(KEY_BYTES);
  // O_EXCL: if another Fieldlink process won the race, use its key rather than overwrite it.
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      fs.writeSync(fd, key);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKey(file, log);
    throw new FieldlinkError('STORAGE', `Cannot create the secret key file ${file}: ${(err as Error).message}`);
  }
}
