import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import { callChannel, callNames, eventChannel, type CallResult, type EventPayload } from '../shared/api.ts';
import { ACK_CHANNEL, SLOW_CONSUMER_MESSAGE, SendWindow } from '../shared/flow.ts';
import type { App, CoreDoor } from './core/app.ts';

export interface IpcBinding {
  /** Forwards contract events to this window's page until the window is destroyed. */
  attach(contents: WebContents): void;
  /** Removes every handler and stops forwarding (app shutdown, tests). */
  dispose(): void;
}

/**
 * Binds every call of shared/api.ts to the core over ipcMain.handle, and forwards the core's events
 * to attached windows. A call is answered only for the top frame of an attached window showing the
 * app's own page; anything else (a subframe, a page navigated elsewhere, a window we did not make)
 * gets UNAUTHORIZED. The payload is validated by the core's dispatcher, the same one the WebSocket uses.
 *
 * Console output is bounded per window like the WebSocket's (shared/flow.ts): each console.data goes
 * with a sequence number the preload acknowledges once the page has it, and a console session whose
 * output would take a window past MAX_QUEUED_BYTES unacknowledged is cut with a message instead of
 * being queued in Electron without end. Other events are small and rare, and are always sent.
 */
export function bindIpc(opts: { app: CoreDoor & Pick<App, 'consoles'>; ipcMain: IpcMain; isAppUrl: (url: string) => boolean }): IpcBinding {
  const { app, ipcMain, isAppUrl } = opts;
  const log = app.log.child({ component: 'ipc' });
  const windows = new Map<WebContents, SendWindow>();

  const trusted = (event: IpcMainInvokeEvent | IpcMainEvent): boolean => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && windows.has(event.sender) && isAppUrl(frame.url);
  };

  for (const name of callNames) {
    ipcMain.handle(callChannel(name), async (event, ...args: unknown[]): Promise<CallResult<unknown>> => {
      if (!trusted(event)) {
        log.warn({ call: name, url: safeOrigin(event.senderFrame?.url) }, 'ipc: refused a call from a foreign sender');
        return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Only the Fieldlink window may call the core.' } };
      }
      if (args.length > 1) return { ok: false, error: { code: 'BAD_REQUEST', message: `${name} takes one input object.` } };
      return app.dispatch(name, args[0]);
    });
  }

  const cutting = new Set<string>();
  const cut = (sessionId: string, flow: SendWindow) => {
    if (cutting.has(sessionId)) return;
    cutting.add(sessionId);
    log.warn({ sessionId, queued: flow.queued }, 'ipc: window is not keeping up with console output; cutting the session');
    void app.consoles.cut(sessionId, SLOW_CONSUMER_MESSAGE).finally(() => cutting.delete(sessionId));
  };

  const offBus = app.bus.onAny((name, payload) => {
    for (const [contents, flow] of windows) {
      if (contents.isDestroyed() || !isAppUrl(contents.getURL())) continue;
      if (name !== 'console.data') {
        contents.send(eventChannel(name), payload);
        continue;
      }
      const { sessionId, data } = payload as EventPayload<'console.data'>;
      // What the payload costs in flight: its text (UTF-16 in both processes) and the envelope.
      const bytes = data.length * 2 + 64;
      if (!flow.admits(bytes)) {
        cut(sessionId, flow);
        continue;
      }
      contents.send(eventChannel(name), payload, flow.sent(bytes));
    }
  });

  const onAck = (event: IpcMainEvent, seq: unknown) => {
    if (trusted(event)) windows.get(event.sender)?.taken(seq);
  };
  ipcMain.on(ACK_CHANNEL, onAck);

  return {
    attach(contents) {
      windows.set(contents, new SendWindow());
      contents.once('destroyed', () => windows.delete(contents));
    },
    dispose() {
      offBus();
      for (const name of callNames) ipcMain.removeHandler(callChannel(name));
      ipcMain.removeListener(ACK_CHANNEL, onAck);
      windows.clear();
    },
  };
}

/**
 * A predicate for "is this the app's own page": same scheme and host as `base`. Compared by parts
 * because WHATWG URL gives custom schemes (fieldlink://app) an opaque "null" origin.
 */
export function appUrlMatcher(base: string): (url: string) => boolean {
  const want = new URL(base);
  return (url) => {
    try {
      const u = new URL(url);
      return u.protocol === want.protocol && u.host === want.host && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  };
}

/** Logs where a refused call came from without logging a full URL (which could carry anything). */
function safeOrigin(url: string | undefined): string {
  if (!url) return '(no frame)';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`.slice(0, 200);
  } catch {
    return '(unparseable)';
  }
}
