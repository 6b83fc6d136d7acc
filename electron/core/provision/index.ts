export { Profile, SecretRef, profileJsonSchema, hostnameFor } from './profile.ts';
export { parseProfile, loadProfile, MAX_PROFILE_BYTES, type ParseResult } from './parse.ts';
export { formatProblem, profileError, type ProfileProblem } from './problems.ts';
export {
  ArtifactCache,
  k3sArch,
  compareVersions,
  type K3sArch,
  type K3sArtifacts,
  type CachedFile,
  type CachedVersion,
  type ArtifactProgress,
  type VerifyResult,
} from './artifacts.ts';
