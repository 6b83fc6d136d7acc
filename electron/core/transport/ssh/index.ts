export { connectSsh, defaultIdentityFiles, type ConnectSshOptions } from './connect.ts';
export { SshShell, type Terminal } from './sshshell.ts';
export { partialPath, remoteSha256 } from './sftp.ts';
export { SshPool, poolKey, type SshPoolOptions, type SshTargetOptions } from './pool.ts';
export { connectResolved, type ResolvedSsh } from './jump.ts';
export { probeHostKeys } from './probe.ts';
export { hostKeyAlgorithmsFor, type HostKey, type HostKeyCheck, type HostKeyVerdict } from './hostkey.ts';
export { fingerprintOf, keyTypeOf, hostKeyIdOf, type HostKeyId } from './keyblob.ts';
