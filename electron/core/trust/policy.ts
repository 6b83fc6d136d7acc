import { FieldlinkError } from '../../../shared/errors.ts';
import type { TrustSource } from '../../../shared/model.ts';
import type { AuditLog } from '../db/audit.ts';
import type { TrustStore } from '../db/trust.ts';
import { fingerprintOf, keyTypeOf, type HostKeyId } from './fingerprint.ts';
import type { KnownHostKey, PublicKeyBook } from './knownhosts.ts';
import type { HostKeyCheck } from '../transport/index.ts';

/**
 * strict: only pinned keys (OpenSSH StrictHostKeyChecking=yes); accept-new: pin an unknown key on
 * first use, refuse a changed one; ask: the technician decides about an unknown key.
 */
export type TrustMode = 'strict' | 'accept-new' | 'ask';

export interface HostKeyPolicy {
  /** The pins for this (host, port). */
  pinned: HostKeyId[];
  mode: TrustMode;
  /** For mode 'ask': shown the offered key, true to trust it. */
  ask?: (offered: HostKeyId[], where: { host: string; port: number }) => Promise<boolean>;
  /** Called once a new key was accepted (first use or asked), to pin and audit it. */
  onAccept?: (key: KnownHostKey, where: { host: string; port: number; source: TrustSource }) => void;
  /** Called when the offered key matched a pin (lets the full key be kept for known_hosts export). */
  onVerified?: (key: KnownHostKey, where: { host: string; port: number }) => void;
  /** Called when a key was refused, to audit it. */
  onRefuse?: (err: FieldlinkError) => void;
}

export type HostKeyDecision = { ok: true; key: KnownHostKey; accepted: boolean } | { ok: false; error: FieldlinkError };

/**
 * The verdict on the key a server proved in the handshake. Runs inside ssh2's hostVerifier, so a
 * refusal ends the connection before the userauth service is even requested: no credential leaves.
 */
export async function decideHostKey(policy: HostKeyPolicy, host: string, port: number, keyBlob: Uint8Array): Promise<HostKeyDecision> {
  let offered: KnownHostKey;
  try {
    const keyType = keyTypeOf(keyBlob);
    offered = { keyType, fingerprint: fingerprintOf(keyBlob), publicKey: `${keyType} ${Buffer.from(keyBlob).toString('base64')}` };
  } catch (err) {
    return { ok: false, error: err as FieldlinkError };
  }
  const where = `${host}:${port}`;
  const offeredList = [{ keyType: offered.keyType, fingerprint: offered.fingerprint }];
  const pinned = policy.pinned.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint }));
  if (pinned.some((p) => p.fingerprint === offered.fingerprint && p.keyType === offered.keyType)) {
    try {
      policy.onVerified?.(offered, { host, port });
    } catch {
      // Keeping a copy of the key is a convenience; it must never fail a verified connection.
    }
    return { ok: true, key: offered, accepted: false };
  }

  const refuse = (error: FieldlinkError): HostKeyDecision => {
    policy.onRefuse?.(error);
    return { ok: false, error };
  };
  if (pinned.length > 0) {
    // A pinned box that now shows another key, or only a key type we never pinned (we ask for the
    // pinned types first, so a server that picks another has lost the pinned key): both are changes.
    const old = pinned.map((p) => `${p.keyType} ${p.fingerprint}`).join(', ');
    return refuse(
      new FieldlinkError(
        'HOST_KEY_CHANGED',
        `The host key of ${where} has CHANGED. Pinned: ${old}. Offered now: ${offered.keyType} ${offered.fingerprint}. ` +
          'Nothing was sent to it. The box may have been reinstalled, or something else is answering at its address: ' +
          'check the key over the serial cable (fieldlink trust serial:PATH) before trusting the new one.',
        { host, port, offered: offeredList, pinned, old: pinned, new: offeredList },
      ),
    );
  }
  const unknown = new FieldlinkError(
    'HOST_KEY_UNKNOWN',
    `The host key of ${where} is not pinned yet: ${offered.keyType} ${offered.fingerprint}. ` +
      'Compare it with the box label or read it over the serial cable, then trust it (or connect with --accept-new).',
    { host, port, offered: offeredList, pinned: [] },
  );
  if (policy.mode === 'accept-new') {
    policy.onAccept?.(offered, { host, port, source: 'first-use' });
    return { ok: true, key: offered, accepted: true };
  }
  if (policy.mode === 'ask' && policy.ask) {
    let yes = false;
    try {
      yes = await policy.ask(offeredList, { host, port });
    } catch {
      yes = false;
    }
    if (yes) {
      policy.onAccept?.(offered, { host, port, source: 'first-use' });
      return { ok: true, key: offered, accepted: true };
    }
  }
  return refuse(unknown);
}

/** The policy as the SSH layer asks it: which key types to ask for first, and the verdict on an offered key. */
export function hostKeyCheck<P extends HostKeyPolicy>(policy: P): P & HostKeyCheck {
  return Object.defineProperties(policy, {
    pinnedKeyTypes: { get: () => policy.pinned.map((p) => p.keyType), enumerable: true },
    interactive: { get: () => policy.mode === 'ask', enumerable: true },
    verify: { value: (host: string, port: number, blob: Buffer) => decideHostKey(policy, host, port, blob) },
  }) as P & HostKeyCheck;
}

/**
 * The policy for one (host, port) backed by the trust table: accepted keys are pinned (source
 * 'first-use') and every decision that is not a plain match is audited.
 */
export function trustPolicy(o: {
  store: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
  host: string;
  port: number;
  mode: TrustMode;
  ask?: HostKeyPolicy['ask'];
  boxId?: string | null;
}): HostKeyPolicy & HostKeyCheck {
  return hostKeyCheck({
    // Read at each handshake, so a reused policy (pool reconnects) sees pins added since it was made.
    get pinned() {
      return o.store.forHost(o.host, o.port).map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint }));
    },
    mode: o.mode,
    ask: o.ask,
    onAccept(key, where) {
      o.store.pin({ host: where.host, port: where.port, keyType: key.keyType, fingerprint: key.fingerprint, source: where.source, boxId: o.boxId ?? null });
      o.book?.remember(where.host, where.port, key);
      o.audit?.record({ boxId: o.boxId ?? null, action: 'trust.pin', outcome: 'ok', detail: `${where.host}:${where.port} ${key.keyType} ${key.fingerprint} (${where.source})` });
    },
    onVerified(key, where) {
      o.book?.remember(where.host, where.port, key);
    },
    onRefuse(err) {
      const d = err.details as { offered?: HostKeyId[]; pinned?: HostKeyId[] } | undefined;
      const fp = (l?: HostKeyId[]) => (l ?? []).map((k) => `${k.keyType} ${k.fingerprint}`).join(', ') || 'none';
      o.audit?.record({ boxId: o.boxId ?? null, action: 'trust.verify', outcome: 'refused', detail: `${o.host}:${o.port} ${err.code}: offered ${fp(d?.offered)}; pinned ${fp(d?.pinned)}` });
    },
  });
}
