import type { HandlersOf } from '../rpc/index.ts';
import type { Trust } from './trust.ts';

export function trustHandlers({ trust }: { trust: Trust }): HandlersOf<'trust'> {
  return {
    'trust.list': () => trust.list(),
    'trust.pin': (p) => trust.pinFromPrompt(p),
  };
}
