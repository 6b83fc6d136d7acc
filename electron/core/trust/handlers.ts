import type { AuditLog, TrustStore } from '../db/index.ts';
import type { HandlersOf } from '../rpc/index.ts';

export function trustHandlers({ trust, audit }: { trust: TrustStore; audit: AuditLog }): HandlersOf<'trust'> {
  return {
    'trust.list': () => trust.list(),
    'trust.pin': (p) => {
      const pin = trust.pin(p);
      audit.record({ boxId: p.boxId ?? null, action: 'trust.pin', outcome: 'ok', detail: `${p.host}:${p.port} ${p.keyType} ${p.fingerprint} (${p.source})` });
      return pin;
    },
  };
}
