import type { HandlersOf } from '../rpc/index.ts';
import type { ConsoleSessions } from './session.ts';

export function consoleHandlers({ consoles }: { consoles: ConsoleSessions }): HandlersOf<'console'> {
  return {
    'console.open': ({ target, cols, rows }) => consoles.open(target, { cols, rows }),
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
