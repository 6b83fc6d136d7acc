import { FieldlinkError } from '../../../../shared/errors.ts';
import { connectSsh } from './connect.ts';
import { hostKeyAlgorithmsFor, type HostKeyCheck } from './hostkey.ts';
import { hostKeyIdOf } from './keyblob.ts';

const PROBE_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

/**
 * The keys a box offers, without logging in (for `fieldlink trust TARGET --fingerprint …` and the
 * trust prompt): one handshake per key type, each refused on purpose right after the server proves
 * its key, so no credential is ever sent.
 */
export async function probeHostKeys(host: string, port = 22, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Array<{ keyType: string; fingerprint: string }>> {
  const out: Array<{ keyType: string; fingerprint: string }> = [];
  let lastErr: unknown;
  for (const keyType of PROBE_TYPES) {
    let seen: { keyType: string; fingerprint: string } | undefined;
    const refuseAfterLooking: HostKeyCheck = {
      pinnedKeyTypes: [],
      interactive: false,
      async verify(_host, _port, blob) {
        try {
          seen = hostKeyIdOf(blob);
        } catch (err) {
          return { ok: false, error: err as FieldlinkError };
        }
        return { ok: false, error: new FieldlinkError('HOST_KEY_UNKNOWN', `Probe of ${host}:${port} stopped at its host key, as intended.`) };
      },
    };
    try {
      const s = await connectSsh({
        host,
        port,
        agent: '',
        trust: refuseAfterLooking,
        signal: o.signal,
        timeoutMs: o.timeoutMs ?? 15_000,
        hostKeyAlgorithms: hostKeyAlgorithmsFor(keyType),
      });
      await s.close();
      throw new FieldlinkError('INTERNAL', 'The probe logged in although it should have stopped at the host key.');
    } catch (err) {
      if (seen) {
        out.push(seen);
        continue;
      }
      // A box without this key type fails the handshake with PROTOCOL; anything else (unreachable,
      // cancelled, timed out) ends the probe.
      if (err instanceof FieldlinkError && err.code === 'PROTOCOL') {
        lastErr = err;
        continue;
      }
      throw err;
    }
  }
  if (out.length === 0) throw lastErr ?? new FieldlinkError('PROTOCOL', `${host}:${port} offered no host key Fieldlink understands.`);
  return out;
}
