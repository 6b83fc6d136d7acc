export { connectSsh, defaultIdentityFiles, type ConnectSshOptions } from './connect.ts';
export { SshShell, type Terminal } from './sshshell.ts';
export { TailBuffer } from '../output.ts';
export { partialPath, remoteSha256 } from './sftp.ts';
export { SshPool, poolKey, type SshPoolOptions, type SshTargetOptions } from './pool.ts';
export { resolveSsh, connectResolved, probeHostKeys, pinTypedFingerprint, type SshDeps, type ResolveSshOptions, type ResolvedSsh } from './resolve.ts';
