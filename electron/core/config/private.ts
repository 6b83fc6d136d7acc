import fs from 'node:fs';
import { FieldlinkError } from '../../../shared/errors.ts';
import { createLogger, type Logger } from '../log/index.ts';

/*
 * The data folder holds the inventory, the trust pins, sealed secrets, the secret key file and the
 * technician's SSH key: only the technician may read it. Every open checks what it is about to
 * trust: a folder (0700) or file (0600) that others can read or write is tightened and the fix is
 * logged; one owned by another user is refused, since whoever owns it can swap its contents.
 * Windows has no POSIX modes: there the user profile's ACLs are what protect the folder.
 */

let fallbackLog: Logger | undefined;
const warnLog = (log?: Logger): Logger => log ?? (fallbackLog ??= createLogger());

function enforced(): boolean {
  return process.platform !== 'win32' && typeof process.getuid === 'function';
}

/** Creates `dir` (0700) if needed and holds an existing one to the same: ours, and ours alone. */
export function ensurePrivateDir(dir: string, log?: Logger): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new FieldlinkError('STORAGE', `Cannot create the Fieldlink data folder ${dir}: ${(err as Error).message}`, { path: dir }, { cause: err });
  }
  if (!enforced()) return;
  const st = statOf(dir);
  if (!st) return;
  if (!st.isDirectory()) throw new FieldlinkError('STORAGE', `${dir} should be the Fieldlink data folder but is not a folder.`, { path: dir });
  hold(dir, st, 0o700, 'folder', log);
}

/** Holds an existing file to 0600 and the current user; a missing file is left for its creator. */
export function ensurePrivateFile(file: string, log?: Logger): void {
  if (!enforced()) return;
  const st = statOf(file);
  if (!st) return;
  if (!st.isFile()) throw new FieldlinkError('STORAGE', `${file} should be a Fieldlink data file but is not a regular file.`, { path: file });
  hold(file, st, 0o600, 'file', log);
}

function statOf(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FieldlinkError('STORAGE', `Cannot check ${p}: ${(err as Error).message}`, { path: p }, { cause: err });
  }
}

function hold(p: string, st: fs.Stats, mode: number, what: 'folder' | 'file', log?: Logger): void {
  const uid = process.getuid!();
  if (st.uid !== uid) {
    throw new FieldlinkError(
      'STORAGE',
      `The Fieldlink data ${what} ${p} belongs to another user (uid ${st.uid}, you are ${uid}); Fieldlink will not trust it. Use your own data folder (--data-dir), or have its owner hand it over with chown.`,
      { path: p, owner: st.uid, uid },
    );
  }
  const current = st.mode & 0o7777;
  if ((current & 0o077) === 0) return;
  if (what === 'folder' && (current & 0o1000) !== 0) {
    // A sticky folder is a shared one (/tmp): taking it over would break everyone else using it.
    throw new FieldlinkError('STORAGE', `${p} is a shared folder (like /tmp), not a Fieldlink data folder; choose a folder of its own with --data-dir.`, { path: p });
  }
  try {
    fs.chmodSync(p, mode);
  } catch (err) {
    throw new FieldlinkError(
      'STORAGE',
      `The Fieldlink data ${what} ${p} is open to other users and could not be made private: ${(err as Error).message}`,
      { path: p },
      { cause: err },
    );
  }
  warnLog(log).warn({ path: p, was: current.toString(8), now: mode.toString(8) }, `data ${what} was open to other users; made it private`);
}
