export { openSerial, SerialShell, type SerialOpenOptions } from './shell.ts';
export type { SerialCredentials } from './login.ts';
export type { SerialTerminal } from './terminal.ts';
export { parseSerialTarget } from './target.ts';
export { resolveIdentity, SerialLink, type SerialIdentity } from './link.ts';
export { stripKernelLines, stripEscapes, readable } from './console-text.ts';
