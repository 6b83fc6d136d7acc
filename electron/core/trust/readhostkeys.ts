import { FieldlinkError } from '../../../shared/errors.ts';
import type { Shell } from '../transport/shell.ts';
import { hostKeyIdOf, keyTypeFromKeygen, type HostKeyId } from './fingerprint.ts';

export interface BoxHostKey extends HostKeyId {
  bits: number;
  /** `<type> <base64>` when the .pub file could be read too (lets known_hosts export include it). */
  publicKey: string | null;
}

// ssh-keygen -l prints fingerprints the way a technician sees them on the box; the .pub line is read
// as well so the key itself can be exported, and as the answer when a box has no ssh-keygen.
const SCRIPT =
  'for f in /etc/ssh/ssh_host_*_key.pub; do [ -r "$f" ] || continue; ' +
  'if command -v ssh-keygen >/dev/null 2>&1; then ssh-keygen -lf "$f" | sed "s/^/FLFP /"; fi; ' +
  'sed -n "1s/^/FLPUB /p" "$f"; done';

/**
 * The box's SSH host-key fingerprints, read over any Shell (the serial console for out-of-band
 * trust). Console output is untrusted and may carry kernel noise: only lines of the exact expected
 * shape count, and each fingerprint is checked against the key it names when the key was read too.
 */
export async function readHostKeys(shell: Shell, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<BoxHostKey[]> {
  const r = await shell.exec(SCRIPT, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 20_000, maxOutputBytes: 64 * 1024 });
  return parseHostKeyListing(Buffer.from(r.stdout).toString('utf8'), shell.target);
}

export function parseHostKeyListing(text: string, target = 'the box'): BoxHostKey[] {
  const fromKeygen: BoxHostKey[] = [];
  const fromPub = new Map<string, { keyType: string; publicKey: string }>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r/g, '').trim();
    let m = /^FLFP (\d{3,5}) (SHA256:[A-Za-z0-9+/]{43}) .*\(([A-Z0-9-]+)\)$/.exec(line);
    if (m) {
      const bits = Number(m[1]);
      const keyType = keyTypeFromKeygen(m[3]!, bits);
      if (keyType) fromKeygen.push({ keyType, fingerprint: m[2]!, bits, publicKey: null });
      continue;
    }
    m = /^FLPUB ([A-Za-z0-9@._+-]{1,64}) ([A-Za-z0-9+/]{16,8192}={0,2})(?: .*)?$/.exec(line);
    if (m) {
      try {
        const id = hostKeyIdOf(Buffer.from(m[2]!, 'base64'));
        if (id.keyType === m[1]) fromPub.set(id.fingerprint, { keyType: id.keyType, publicKey: `${m[1]} ${m[2]}` });
      } catch {
        // A garbled line on a noisy console: the ssh-keygen line still counts on its own.
      }
    }
  }
  let keys: BoxHostKey[];
  if (fromKeygen.length > 0) {
    keys = fromKeygen.map((k) => ({ ...k, publicKey: fromPub.get(k.fingerprint)?.publicKey ?? null }));
  } else {
    keys = [...fromPub.entries()].map(([fingerprint, v]) => ({ keyType: v.keyType, fingerprint, bits: 0, publicKey: v.publicKey }));
  }
  const seen = new Set<string>();
  keys = keys.filter((k) => (seen.has(k.fingerprint) ? false : (seen.add(k.fingerprint), true)));
  if (keys.length === 0) {
    throw new FieldlinkError('REMOTE_FAILED', `No SSH host keys could be read from ${target} (/etc/ssh/ssh_host_*_key.pub). Is OpenSSH installed on the box?`);
  }
  return keys;
}
