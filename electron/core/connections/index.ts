export { Connections, boxPasswordSecret, type ConnectOptions, type ConnectionDeps } from './connections.ts';
export { resolveSsh, type SshDeps, type ResolveSshOptions } from './ssh-target.ts';
