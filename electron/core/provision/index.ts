export { Profile, SecretRef, profileJsonSchema, hostnameFor } from './profile.ts';
export { parseProfile, loadProfile, MAX_PROFILE_BYTES, type ParseResult } from './parse.ts';
export { formatProblem, profileError, type ProfileProblem } from './problems.ts';
