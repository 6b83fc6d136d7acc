import type { HandlersOf } from '../rpc/index.ts';
import type { Discovery } from './discovery.ts';

export function discoveryHandlers({ discovery }: { discovery: Discovery }): HandlersOf<'discovery'> {
  return {
    'discovery.start': () => {
      discovery.start();
      return { running: discovery.running };
    },
    'discovery.stop': async () => {
      await discovery.stop();
      return { running: discovery.running };
    },
  };
}
