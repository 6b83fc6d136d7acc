import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { callChannel, callNames, eventChannel, type CallResult } from '../shared/api.ts';
import type { CoreDoor } from './core/app.ts';

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
 */
export function bindIpc(opts: { app: CoreDoor; ipcMain: IpcMain; isAppUrl: (url: string) => boolean }): IpcBinding {
  const { app, ipcMain, isAppUrl } = opts;
  const log = app.log.child({ component: 'ipc' });
  const windows = new Set<WebContents>();

  const trusted = (event: IpcMainInvokeEvent): boolean => {
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

  const offBus = app.bus.onAny((name, payload) => {
    for (const contents of windows) {
      if (!contents.isDestroyed() && isAppUrl(contents.getURL())) contents.send(eventChannel(name), payload);
    }
  });

  return {
    attach(contents) {
      windows.add(contents);
      contents.once('destroyed', () => windows.delete(contents));
    },
    dispose() {
      offBus();
      for (const name of callNames) ipcMain.removeHandler(callChannel(name));
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
