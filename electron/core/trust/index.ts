export { fingerprintOf, normalizeFingerprint, typedMatches, keyTypeOf, hostKeyIdOf, keyTypeFromKeygen, FINGERPRINT_RE, type HostKeyId } from './fingerprint.ts';
export {
  parseKnownHosts,
  lookupKnownHosts,
  importKnownHosts,
  exportKnownHosts,
  hashHostName,
  knownHostsName,
  matchPatternList,
  PublicKeyBook,
  type KnownHostEntry,
  type KnownHostKey,
  type KnownHostsImport,
} from './knownhosts.ts';
export { decideHostKey, hostKeyCheck, trustPolicy, type HostKeyPolicy, type HostKeyDecision, type TrustMode } from './policy.ts';
export { readHostKeys, parseHostKeyListing, type BoxHostKey } from './readhostkeys.ts';
export { importKnownHostsIntoStore, exportKnownHostsFromStore, type TrustStoreDeps } from './store.ts';
export { Trust, judge, refusalOf, proveHostKeys, type TrustDeps, type Verdict, type AskTrust, type SerialPinResult } from './trust.ts';
export { pinTypedFingerprint, type TypedPinDeps } from './typed.ts';
export { trustHandlers } from './handlers.ts';
