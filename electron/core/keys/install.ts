import { FieldlinkError } from '../../../shared/errors.ts';
import { boxFailure, type Shell } from '../transport/index.ts';

/**
 * Appends one public key to the login user's ~/.ssh/authorized_keys, the way ssh-copy-id does but
 * idempotently: the key arrives on stdin (never in the command, which the console's scrollback and
 * `ps` show), a key already there (matched by its blob, whatever its comment or options) is left
 * alone, a file without a final newline gets one first, and the folder and file end up 0700 / 0600
 * so sshd's StrictModes accepts them. Prints `added` or `present`.
 */
export const INSTALL_KEY_SCRIPT = [
  'set -ef',
  'umask 077',
  'IFS= read -r key',
  'set -- $key',
  'case "$1" in ssh-ed25519|ssh-rsa|ecdsa-sha2-*|sk-*) ;; *) echo "not a public key" >&2; exit 3 ;; esac',
  'blob="$2"',
  'd="${HOME:-/root}/.ssh"',
  'f="$d/authorized_keys"',
  'mkdir -p "$d"',
  'chmod 700 "$d"',
  'touch "$f"',
  'chmod 600 "$f"',
  'if awk -v b="$blob" \'!/^[[:space:]]*#/ { for (i = 1; i <= NF; i++) if ($i == b) found = 1 } END { exit !found }\' "$f"; then echo present; exit 0; fi',
  'if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f"; fi',
  'printf "%s\\n" "$key" >> "$f"',
  'echo added',
].join('\n');

const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

export async function installPublicKey(shell: Shell, publicKey: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ added: boolean }> {
  const line = publicKey.trim();
  if (!PUBLIC_KEY.test(line)) throw new FieldlinkError('BAD_REQUEST', 'That is not an OpenSSH public key line.');
  const r = await shell.exec(INSTALL_KEY_SCRIPT, { stdin: `${line}\n`, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 30_000, maxOutputBytes: 64 * 1024 });
  const out = Buffer.from(r.stdout).toString('utf8').trim().split('\n').at(-1) ?? '';
  if (r.code !== 0 || (out !== 'added' && out !== 'present')) {
    const err = Buffer.from(r.stderr)
      .toString('utf8')
      .replace(/[^\x20-\x7e]+/g, ' ')
      .trim()
      .slice(0, 200);
    throw boxFailure(`The box did not take the technician key (exit ${r.code ?? 'by signal'}${err ? `: ${err}` : ''}).`, err, 'Check that ~/.ssh on the box is writable.');
  }
  return { added: out === 'added' };
}
