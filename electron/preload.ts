import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { callChannel, callNames, eventChannel, eventNames, type CallResult, type PreloadBridge } from '../shared/api.ts';

/**
 * Exposes window.fieldlink: one function per contract call and one subscribe function per contract
 * event, derived from shared/api.ts. There is no generic send or invoke: the page can reach exactly
 * the channels the contract names, and never sees ipcRenderer or an IPC event object.
 */
const calls = Object.fromEntries(
  callNames.map((name) => [
    name,
    (input: unknown): Promise<CallResult<unknown>> =>
      ipcRenderer.invoke(callChannel(name), input).then(
        (result: CallResult<unknown>) => result,
        (err: unknown): CallResult<unknown> => {
          // invoke rejects when the input cannot be cloned (a function, a DOM node…) or main is gone.
          const message = err instanceof Error ? err.message : String(err);
          return /clone/i.test(message)
            ? { ok: false, error: { code: 'BAD_REQUEST', message: `The input of ${name} is not plain data.` } }
            : { ok: false, error: { code: 'INTERNAL', message: 'The Fieldlink core did not answer. Restart Fieldlink if this keeps happening.' } };
        },
      ),
  ]),
) as PreloadBridge['calls'];

const events = Object.fromEntries(
  eventNames.map((name) => [
    name,
    (listener: (payload: unknown) => void): (() => void) => {
      if (typeof listener !== 'function') throw new TypeError(`fieldlink.events['${name}'] needs a function`);
      const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(eventChannel(name), forward);
      return () => void ipcRenderer.removeListener(eventChannel(name), forward);
    },
  ]),
) as PreloadBridge['events'];

contextBridge.exposeInMainWorld('fieldlink', { calls, events } satisfies PreloadBridge);
