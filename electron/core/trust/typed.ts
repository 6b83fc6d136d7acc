import type { AuditLog, TrustStore } from '../db/index.ts';
import type { PublicKeyBook } from './knownhosts.ts';
import { Trust } from './trust.ts';

export interface TypedPinDeps {
  trust: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
}

/** Trust.pinTyped for callers that hold the tables rather than the use case. */
export async function pinTypedFingerprint(
  deps: TypedPinDeps,
  t: { host: string; port?: number; fingerprint: string; boxId?: string | null },
  o: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ keyType: string; fingerprint: string }> {
  const pin = await new Trust({ store: deps.trust, audit: deps.audit, book: deps.book }).pinTyped(t, o);
  return { keyType: pin.keyType, fingerprint: pin.fingerprint };
}
