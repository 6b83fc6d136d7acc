import type { FieldlinkError } from '../../../shared/errors.ts';
import type { AuditLog, TrustStore } from '../db/index.ts';
import { fingerprintOf, keyTypeOf, type HostKeyId } from './fingerprint.ts';
import type { KnownHostKey, PublicKeyBook } from './knownhosts.ts';
import type { HostKeyCheck } from '../transport/index.ts';
import { Trust, judge, refusalOf, type AskTrust, type TrustMode } from './trust.ts';

export type { TrustMode };

/** A fixed set of pins, for a check that pins nothing (probes, tests, benchmarks). */
export interface HostKeyPolicy {
  /** The pins for this (host, port). */
  pinned: HostKeyId[];
  mode: TrustMode;
  /** For mode 'ask': shown the offered key, true to trust it. */
  ask?: AskTrust;
}

export type HostKeyDecision = { ok: true; key: KnownHostKey; accepted: boolean } | { ok: false; error: FieldlinkError };

/**
 * The verdict of fixed pins on an offered key, by the trust use case's one rule (judge). Nothing is
 * pinned or audited here: the table-backed check is Trust.checkFor.
 */
export async function decideHostKey(policy: HostKeyPolicy, host: string, port: number, keyBlob: Uint8Array): Promise<HostKeyDecision> {
  let offered: KnownHostKey;
  try {
    const keyType = keyTypeOf(keyBlob);
    offered = { keyType, fingerprint: fingerprintOf(keyBlob), publicKey: `${keyType} ${Buffer.from(keyBlob).toString('base64')}` };
  } catch (err) {
    return { ok: false, error: err as FieldlinkError };
  }
  const v = judge(policy.pinned, [offered], null);
  if (v.kind === 'match') return { ok: true, key: offered, accepted: false };
  if (v.kind === 'unknown') {
    let yes = policy.mode === 'accept-new';
    if (policy.mode === 'ask' && policy.ask) yes = await policy.ask([{ keyType: offered.keyType, fingerprint: offered.fingerprint }], { host, port }).catch(() => false);
    if (yes) return { ok: true, key: offered, accepted: true };
  }
  return { ok: false, error: refusalOf(v, host, port, policy.pinned, [offered], null) };
}

/** Fixed pins as the SSH layer asks them: which key types to ask for first, and the verdict on an offered key. */
export function hostKeyCheck<P extends HostKeyPolicy>(policy: P): P & HostKeyCheck {
  return Object.defineProperties(policy, {
    pinnedKeyTypes: { get: () => policy.pinned.map((p) => p.keyType), enumerable: true },
    interactive: { get: () => policy.mode === 'ask', enumerable: true },
    verify: { value: (host: string, port: number, blob: Buffer) => decideHostKey(policy, host, port, blob) },
  }) as P & HostKeyCheck;
}

/** The check for one (host, port) backed by the trust table: the trust use case's checkFor. */
export function trustPolicy(o: {
  store: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
  host: string;
  port: number;
  mode: TrustMode;
  ask?: AskTrust;
  boxId?: string | null;
}): HostKeyCheck {
  return new Trust({ store: o.store, audit: o.audit, book: o.book }).checkFor(o);
}
