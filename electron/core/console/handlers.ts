import type { HandlersOf } from '../rpc/index.ts';
import type { ConsoleSessions } from './session.ts';

export function consoleHandlers({ consoles }: { consoles: ConsoleSessions }): HandlersOf<'console'> {
  return {
    // The password is handed to this one open and dropped with it; never logged, never in an event.
    'console.open': ({ target, cols, rows, password, remember }) => consoles.open(target, { cols, rows }, { password, remember }),
    'console.write': async ({ sessionId, data }) => {
      await consoles.write(sessionId, data);
      return {};
    },
    'console.resize': ({ sessionId, cols, rows }) => {
      consoles.resize(sessionId, cols, rows);
      return {};
    },
    'console.close': async ({ sessionId }) => {
      await consoles.close(sessionId);
      return {};
    },
  };
}
