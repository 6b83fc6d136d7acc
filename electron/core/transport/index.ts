export type { Shell, ExecOptions, ExecResult, TransferOptions } from './shell.ts';
export { parseTarget, boxTarget, serialByIdDirs, type Target } from './target.ts';
export { loadSshConfig, resolveSshConfig, parseJumpSpec, expandIdentityFile, type SshConfigHost, type JumpHop } from './sshconfig.ts';
export { TailBuffer } from './output.ts';
export { boxFailure } from './box-failure.ts';
export { matchPatternList } from './patterns.ts';
export * from './ssh/index.ts';
export * from './serial/index.ts';
