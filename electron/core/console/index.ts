export { ConsoleSessions, type OpenCredentials, type OpenTerminal, type TerminalLink } from './session.ts';
export { serialTerminalLink, sshTerminalLink } from './links.ts';
export { consoleHandlers } from './handlers.ts';
