import { FieldlinkError } from '../../../shared/errors.ts';
import type { AuditLog, TrustStore } from '../db/index.ts';
import { probeHostKeys } from '../transport/index.ts';
import { normalizeFingerprint } from './fingerprint.ts';

export interface TypedPinDeps {
  trust: TrustStore;
  audit?: AuditLog;
}

/**
 * Pins a fingerprint the technician typed or scanned from the label, after checking the box really
 * offers it; a mismatch pins nothing and says what the box showed instead.
 */
export async function pinTypedFingerprint(
  deps: TypedPinDeps,
  t: { host: string; port?: number; fingerprint: string; boxId?: string | null },
  o: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ keyType: string; fingerprint: string }> {
  const port = t.port ?? 22;
  const typed = normalizeFingerprint(t.fingerprint);
  const all = await probeHostKeys(t.host, port, o);
  const offered = all.find((k) => k.fingerprint === typed);
  if (!offered) {
    const shown = all.map((k) => `${k.keyType} ${k.fingerprint}`).join(', ');
    deps.audit?.record({ boxId: t.boxId ?? null, action: 'trust.pin', outcome: 'refused', detail: `${t.host}:${port} typed ${typed} but the box offers ${shown}` });
    throw new FieldlinkError(
      'HOST_KEY_CHANGED',
      `${t.host}:${port} offers ${shown}, not the fingerprint you entered (${typed}). Nothing was pinned: check the label, or read the key over the serial cable.`,
      { host: t.host, port, offered: all, pinned: [], typed },
    );
  }
  deps.trust.pin({ host: t.host, port, keyType: offered.keyType, fingerprint: offered.fingerprint, source: 'typed', boxId: t.boxId ?? null });
  deps.audit?.record({ boxId: t.boxId ?? null, action: 'trust.pin', outcome: 'ok', detail: `${t.host}:${port} ${offered.keyType} ${offered.fingerprint} (typed)` });
  return offered;
}
