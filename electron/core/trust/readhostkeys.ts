import { FieldlinkError } from '../../../shared/errors.ts';
import type { Shell } from '../transport/index.ts';
import { hostKeyIdOf, type HostKeyId } from './fingerprint.ts';

export interface BoxHostKey extends HostKeyId {
  bits: number;
  /** `<type> <base64>`: the key itself, which the fingerprint is computed from (and known_hosts export needs). */
  publicKey: string;
}

// Only the .pub files are read: the fingerprint is computed here from each key, never taken from
// text the box prints (a box could print any fingerprint beside any key).
const SCRIPT = 'for f in /etc/ssh/ssh_host_*_key.pub; do [ -r "$f" ] || continue; sed -n "1s/^/FLPUB /p" "$f"; done';

/**
 * The box's SSH host keys, read over any Shell (the serial console for out-of-band trust). Console
 * output is untrusted and may carry kernel noise: only lines of the exact expected shape whose blob
 * parses as the key type it claims count, and every fingerprint is computed from the key itself.
 */
export async function readHostKeys(shell: Shell, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<BoxHostKey[]> {
  const r = await shell.exec(SCRIPT, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 20_000, maxOutputBytes: 64 * 1024 });
  return parseHostKeyListing(Buffer.from(r.stdout).toString('utf8'), shell.target);
}

/**
 * The keys in a console listing. `FLFP` lines (ssh-keygen -l output, as older versions read) are
 * ignored: a fingerprint is only ever what the key hashes to.
 */
export function parseHostKeyListing(text: string, target = 'the box'): BoxHostKey[] {
  const keys = new Map<string, BoxHostKey>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r/g, '').trim();
    const m = /^FLPUB ([A-Za-z0-9@._+-]{1,64}) ([A-Za-z0-9+/]{16,8192}={0,2})(?: .*)?$/.exec(line);
    if (!m) continue;
    try {
      const blob = Buffer.from(m[2]!, 'base64');
      const id = hostKeyIdOf(blob);
      if (id.keyType === m[1] && !keys.has(id.fingerprint))
        keys.set(id.fingerprint, { keyType: id.keyType, fingerprint: id.fingerprint, bits: bitsOf(id.keyType, blob), publicKey: `${m[1]} ${m[2]}` });
    } catch {
      // A garbled line on a noisy console counts for nothing.
    }
  }
  if (keys.size === 0) {
    throw new FieldlinkError('REMOTE_FAILED', `No SSH host keys could be read from ${target} (/etc/ssh/ssh_host_*_key.pub). Is OpenSSH installed on the box?`);
  }
  return [...keys.values()];
}

/** The key size ssh-keygen -l would print, for display. */
function bitsOf(keyType: string, blob: Buffer): number {
  if (keyType === 'ssh-ed25519' || keyType === 'sk-ssh-ed25519@openssh.com') return 256;
  const ec = /^ecdsa-sha2-nistp(\d+)$/.exec(keyType);
  if (ec) return Number(ec[1]);
  if (keyType === 'ssh-rsa') {
    // string type, mpint e, mpint n: the modulus length in bits.
    try {
      let o = 0;
      const next = () => {
        const n = blob.readUInt32BE(o);
        const v = blob.subarray(o + 4, o + 4 + n);
        o += 4 + n;
        return v;
      };
      next();
      next();
      const n = next();
      const lead = n[0] === 0 ? n.subarray(1) : n;
      return lead.length * 8 - Math.clz32(lead[0]!) + 24;
    } catch {
      return 0;
    }
  }
  return 0;
}
