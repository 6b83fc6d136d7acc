import type { FieldlinkClient, PreloadBridge } from '../shared/api.ts';
import { API_PATH, createIpcClient, createWebSocketClient, takeSessionToken, type ConnectionStore } from './transport/index.ts';

export type { ConnectionState, ConnectionStatus, ConnectionStore } from './transport/index.ts';

declare global {
  interface Window {
    /** Set by electron/preload.ts inside Electron; absent in the browser host. */
    fieldlink?: PreloadBridge;
  }
}

/**
 * The UI's one way to the core. Inside Electron it is the preload bridge; in a browser (the browser
 * host, `fieldlink ui` / `npm start`) a WebSocket to the page's own origin. Both reject with
 * FieldlinkError and return unsubscribe functions from `on`; the UI cannot tell them apart.
 */
function pick(): FieldlinkClient & { connection: ConnectionStore } {
  if (window.fieldlink) return createIpcClient(window.fieldlink);
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createWebSocketClient({ url: `${scheme}//${window.location.host}${API_PATH}`, token: takeSessionToken() ?? '' });
}

const picked = pick();

export const client: FieldlinkClient = picked;
/** For the status bar: connected / reconnecting (with attempt and next try) / unauthorized. */
export const connection: ConnectionStore = picked.connection;
