import type { AuditLog, TrustStore } from '../db/index.ts';
import type { PublicKeyBook } from './knownhosts.ts';
import { Trust } from './trust.ts';

export interface TrustStoreDeps {
  trust: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
}

/** Trust.importKnownHosts for callers that hold the tables rather than the use case. */
export function importKnownHostsIntoStore(deps: TrustStoreDeps, text: string, candidates: Array<{ host: string; port: number }> = []) {
  return new Trust({ store: deps.trust, audit: deps.audit, book: deps.book }).importKnownHosts(text, candidates);
}

/** Trust.exportKnownHosts for callers that hold the tables rather than the use case. */
export function exportKnownHostsFromStore(deps: TrustStoreDeps, opts: { hash?: boolean } = {}) {
  return new Trust({ store: deps.trust, audit: deps.audit, book: deps.book }).exportKnownHosts(opts);
}
