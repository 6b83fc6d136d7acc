import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface HostKey {
  type: string;
  /** OpenSSH's form: SHA256:<base64 without padding>, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export function hostKeys(etcDir: string): HostKey[] {
  const dir = path.join(etcDir, 'ssh');
  const out: HostKey[] = [];
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => /^ssh_host_.*_key\.pub$/.test(f));
  } catch {
    return out;
  }
  for (const f of files.sort()) {
    const [type, b64] = fs.readFileSync(path.join(dir, f), 'utf8').trim().split(/\s+/);
    if (!type || !b64) continue;
    const digest = crypto.createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '');
    out.push({ type, fingerprint: `SHA256:${digest}` });
  }
  return out;
}
