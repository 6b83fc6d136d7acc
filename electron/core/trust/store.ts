import type { AuditLog } from '../db/audit.ts';
import type { TrustStore } from '../db/trust.ts';
import { exportKnownHosts, importKnownHosts, type PublicKeyBook } from './knownhosts.ts';

export interface TrustDeps {
  trust: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
}

/**
 * Imports an OpenSSH known_hosts file into the pin table (source 'known-hosts'). Hashed lines are
 * matched against `candidates` (e.g. the inventory's addresses). A pin that already exists with
 * another fingerprint is NOT overwritten: that is a conflict the technician must look at.
 */
export function importKnownHostsIntoStore(deps: TrustDeps, text: string, candidates: Array<{ host: string; port: number }> = []) {
  const imp = importKnownHosts(text, candidates);
  let pinned = 0;
  const conflicts: Array<{ host: string; port: number; keyType: string; pinned: string; file: string }> = [];
  for (const k of imp.keys) {
    const existing = deps.trust.forHost(k.host, k.port).find((p) => p.keyType === k.keyType);
    if (existing && existing.fingerprint !== k.fingerprint) {
      conflicts.push({ host: k.host, port: k.port, keyType: k.keyType, pinned: existing.fingerprint, file: k.fingerprint });
      continue;
    }
    deps.book?.remember(k.host, k.port, k);
    if (existing) continue;
    deps.trust.pin({ host: k.host, port: k.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'known-hosts' });
    pinned++;
  }
  deps.audit?.record({
    action: 'trust.import',
    outcome: conflicts.length ? 'failed' : 'ok',
    detail: `known_hosts: ${pinned} pinned, ${conflicts.length} conflicting, ${imp.hashedUnmatched} hashed unmatched, ${imp.wildcard} wildcard skipped, ${imp.revoked} revoked`,
  });
  return { pinned, conflicts, hashedUnmatched: imp.hashedUnmatched, wildcard: imp.wildcard, revoked: imp.revoked };
}

/** The pin table as OpenSSH known_hosts (optionally hashed like `ssh-keygen -H`), for pins whose key Fieldlink has seen. */
export function exportKnownHostsFromStore(deps: TrustDeps, opts: { hash?: boolean } = {}) {
  return exportKnownHosts(deps.trust.list(), deps.book?.all() ?? [], opts);
}
