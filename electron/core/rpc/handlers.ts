import type { CallName, CallOutput, CallParsedInput } from '../../../shared/api.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { App } from '../app.ts';

/** One function per contract call. The dispatcher has already validated `input` (defaults applied). */
export type Handlers = { [N in CallName]: (input: CallParsedInput<N>) => Promise<CallOutput<N>> | CallOutput<N> };

export function createHandlers(app: App): Handlers {
  return {
    'app.info': () => app.info(),
    'status.get': () => app.status(),

    'boxes.list': () => app.inventory.list(),
    'boxes.get': ({ id }) => {
      const box = app.inventory.find(id);
      if (!box) throw new FieldlinkError('NOT_FOUND', `No box called ${id} in the inventory. Run discovery or add it by address.`);
      return box;
    },

    'audit.list': (q) => app.audit.list(q),

    'jobs.list': () => app.jobs.list(),
    'jobs.cancel': ({ id }) => app.jobs.cancel(id),

    'settings.get': () => app.settings.get(),
    'settings.set': (patch) => app.updateSettings(patch),

    'trust.list': () => app.trust.list(),
    'trust.pin': (p) => {
      const pin = app.trust.pin(p);
      app.audit.record({ boxId: p.boxId ?? null, action: 'trust.pin', outcome: 'ok', detail: `${p.host}:${p.port} ${p.keyType} ${p.fingerprint} (${p.source})` });
      return pin;
    },

    'console.open': ({ target, cols, rows }) => app.consoles.open(target, { cols, rows }),
    'console.write': async ({ sessionId, data }) => {
      await app.consoles.write(sessionId, data);
      return {};
    },
    'console.resize': ({ sessionId, cols, rows }) => {
      app.consoles.resize(sessionId, cols, rows);
      return {};
    },
    'console.close': async ({ sessionId }) => {
      await app.consoles.close(sessionId);
      return {};
    },
  };
}
