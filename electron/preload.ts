import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { callChannel, callNames, eventChannel, eventNames, type CallResult, type PreloadBridge } from '../shared/api.ts';
import { ACK_CHANNEL, ACK_EVERY_EVENTS } from '../shared/flow.ts';

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

/*
 * Flow control for console output (shared/flow.ts): events main numbers are acknowledged once they
 * have been handed to the page, every ACK_EVERY_EVENTS at once and the rest when the current task
 * ends. A page too busy to take them stops the acks, and main stops queueing for it.
 */
let delivered = 0;
let acked = 0;
let ackTimer: ReturnType<typeof setTimeout> | null = null;
const ack = () => {
  ackTimer = null;
  if (delivered <= acked) return;
  acked = delivered;
  ipcRenderer.send(ACK_CHANNEL, acked);
};
const handedOver = (seq: unknown) => {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= delivered) return;
  delivered = seq;
  if (delivered - acked >= ACK_EVERY_EVENTS) ack();
  else ackTimer ??= setTimeout(ack, 0);
};

const events = Object.fromEntries(
  eventNames.map((name) => [
    name,
    (listener: (payload: unknown) => void): (() => void) => {
      if (typeof listener !== 'function') throw new TypeError(`fieldlink.events['${name}'] needs a function`);
      const forward = (_event: IpcRendererEvent, payload: unknown, seq?: unknown) => {
        try {
          listener(payload);
        } finally {
          handedOver(seq);
        }
      };
      ipcRenderer.on(eventChannel(name), forward);
      return () => void ipcRenderer.removeListener(eventChannel(name), forward);
    },
  ]),
) as PreloadBridge['events'];

contextBridge.exposeInMainWorld('fieldlink', { calls, events } satisfies PreloadBridge);
