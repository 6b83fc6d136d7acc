import { isEventName, type CallInput, type CallName, type CallOutput, type EventName, type EventPayload, type FieldlinkClient } from '../../shared/api.ts';
import { FieldlinkError, fromApiError } from '../../shared/errors.ts';
import { createConnectionStore, type ConnectionStore } from './connection.ts';
import { Listeners } from './listeners.ts';
import { CLOSE_SLOW_CONSUMER, CLOSE_TOO_BIG, CLOSE_UNAUTHORIZED, MAX_MESSAGE_BYTES, ServerMessage, type ClientMessage } from '../../shared/wire.ts';

/** The subset of the browser's WebSocket this client uses; `ws` in Node tests fits it too. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface WebSocketClientOptions {
  /** ws://127.0.0.1:PORT/api */
  url: string;
  token: string;
  /** Opens a socket; defaults to the browser's WebSocket. */
  connect?: (url: string) => SocketLike;
  /** A call that has no answer after this long rejects with TIMEOUT (default 60 s). */
  callTimeoutMs?: number;
  /** Backoff between reconnect attempts: full jitter between 0 and min(max, base·2^attempt). */
  backoff?: { baseMs: number; maxMs: number };
  /** Calls waiting for a connection; more are refused at once rather than piling up. */
  maxQueued?: number;
}

export type WebSocketClient = FieldlinkClient & { connection: ConnectionStore; close(): void };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: FieldlinkError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** The serialized call, kept until it is on the wire. */
  frame: string | null;
}

const OPEN = 1;

/**
 * The browser host's client: the same FieldlinkClient as the Electron bridge, over one WebSocket
 * that reconnects with backoff and resubscribes to every event the UI listens to. Calls made while
 * disconnected wait for the link; calls in flight when it drops reject with LINK_DOWN, because
 * nobody can tell whether the core ran them.
 */
export function createWebSocketClient(opts: WebSocketClientOptions): WebSocketClient {
  const connect = opts.connect ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const callTimeoutMs = opts.callTimeoutMs ?? 60_000;
  const backoff = opts.backoff ?? { baseMs: 250, maxMs: 10_000 };
  const maxQueued = opts.maxQueued ?? 256;

  const connection = createConnectionStore({ status: 'connecting', transport: 'websocket', attempt: 0, retryAt: null, message: null }, () => {
    if (connection.getState().status === 'reconnecting') {
      clearTimeout(retryTimer);
      open();
    }
  });
  const pending = new Map<number, Pending>();
  const listeners = new Listeners(
    (name) => sendNow({ t: 'sub', name }),
    (name) => sendNow({ t: 'unsub', name }),
  );
  let nextId = 1;
  let socket: SocketLike | null = null;
  let ready = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function sendNow(msg: ClientMessage): boolean {
    if (!socket || !ready || socket.readyState !== OPEN) return false;
    socket.send(JSON.stringify(msg));
    return true;
  }

  function open(): void {
    if (closed) return;
    ready = false;
    const ws = connect(opts.url);
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ t: 'hello', token: opts.token } satisfies ClientMessage));
    ws.onmessage = (ev) => {
      if (socket !== ws || typeof ev.data !== 'string') return;
      let parsed;
      try {
        parsed = ServerMessage.safeParse(JSON.parse(ev.data));
      } catch {
        return console.warn('Fieldlink: the core sent a frame that is not JSON; ignored');
      }
      if (!parsed.success) return console.warn('Fieldlink: the core sent a message this UI does not understand; ignored');
      const msg = parsed.data;
      switch (msg.t) {
        case 'ready':
          ready = true;
          connection.set({ status: 'connected', attempt: 0, retryAt: null, message: null });
          for (const name of listeners.names()) sendNow({ t: 'sub', name });
          flushQueued();
          return;
        case 'result': {
          const p = pending.get(msg.id);
          if (!p) return; // Timed out already.
          pending.delete(msg.id);
          clearTimeout(p.timer);
          if (msg.ok) p.resolve(msg.value);
          else p.reject(fromApiError(msg.error));
          return;
        }
        case 'event':
          if (isEventName(msg.name)) listeners.emit(msg.name, msg.payload);
          return;
        case 'error':
          console.warn(`Fieldlink: the core refused a message: ${msg.error.code}: ${msg.error.message}`);
          return;
      }
    };
    ws.onerror = () => {
      // onclose follows and carries the code; nothing to add here.
    };
    ws.onclose = (ev) => {
      if (socket !== ws) return;
      socket = null;
      ready = false;
      failInFlight(ev.code);
      if (closed) return;
      if (ev.code === CLOSE_UNAUTHORIZED) {
        closed = true;
        const message = 'This tab is not signed in to Fieldlink. Open the address printed by `fieldlink ui` (or `npm start`) again.';
        connection.set({ status: 'unauthorized', retryAt: null, message });
        rejectAll(new FieldlinkError('UNAUTHORIZED', message));
        return;
      }
      const attempt = connection.getState().attempt + 1;
      const delay = Math.random() * Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt, 20));
      connection.set({ status: 'reconnecting', attempt, retryAt: Date.now() + delay, message: closeMessage(ev.code) });
      retryTimer = setTimeout(open, delay);
    };
  }

  /** Calls already sent may or may not have run: they fail; calls still queued wait for the next link. */
  function failInFlight(code: number): void {
    const err =
      code === CLOSE_TOO_BIG
        ? new FieldlinkError('BAD_REQUEST', 'A message to the Fieldlink core was too large and the link was reset.')
        : new FieldlinkError('LINK_DOWN', 'Lost the link to the Fieldlink core before it answered; check the result before retrying.', { link: 'core' });
    for (const [id, p] of pending) {
      if (p.frame !== null) continue;
      pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  function rejectAll(err: FieldlinkError): void {
    for (const [id, p] of pending) {
      pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  function flushQueued(): void {
    for (const p of pending.values()) {
      if (p.frame === null || !socket || !ready) continue;
      socket.send(p.frame);
      p.frame = null;
    }
  }

  function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    return new Promise<CallOutput<N>>((resolve, reject) => {
      if (closed) {
        const s = connection.getState();
        return reject(new FieldlinkError(s.status === 'unauthorized' ? 'UNAUTHORIZED' : 'LINK_DOWN', s.message ?? 'The link to the Fieldlink core is closed.'));
      }
      const id = nextId++;
      let frame: string;
      try {
        frame = JSON.stringify({ t: 'call', id, name, input } satisfies ClientMessage);
      } catch {
        return reject(new FieldlinkError('BAD_REQUEST', `The input of ${name} cannot be sent (it is not plain data).`));
      }
      // Measured in UTF-16 units ×3, the worst case of UTF-8, to avoid encoding big payloads twice.
      if (frame.length * 3 > MAX_MESSAGE_BYTES && new TextEncoder().encode(frame).length > MAX_MESSAGE_BYTES) {
        return reject(new FieldlinkError('BAD_REQUEST', `The input of ${name} is too large to send (limit ${MAX_MESSAGE_BYTES} bytes).`));
      }
      const queued = [...pending.values()].filter((p) => p.frame !== null).length;
      if (!ready && queued >= maxQueued) {
        return reject(new FieldlinkError('LINK_DOWN', 'The Fieldlink core is not reachable right now and too many calls are waiting; try again shortly.', { link: 'core' }));
      }
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new FieldlinkError('TIMEOUT', `The Fieldlink core did not answer ${name} within ${Math.round(callTimeoutMs / 1000)} s.`));
      }, callTimeoutMs);
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, timer, frame };
      pending.set(id, p);
      if (socket && ready && socket.readyState === OPEN) {
        socket.send(frame);
        p.frame = null;
      }
    });
  }

  function on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    return listeners.add(name, listener);
  }

  function close(): void {
    closed = true;
    clearTimeout(retryTimer);
    connection.set({ status: 'closed', retryAt: null });
    rejectAll(new FieldlinkError('LINK_DOWN', 'The link to the Fieldlink core was closed.', { link: 'core' }));
    socket?.close(1000, 'bye');
    socket = null;
  }

  open();
  return { call, on, connection, close };
}

function closeMessage(code: number): string {
  switch (code) {
    case CLOSE_TOO_BIG:
      return 'A message was too large; reconnecting.';
    case CLOSE_SLOW_CONSUMER:
      return 'This tab fell behind the event stream; reconnecting.';
    case 1001:
      return 'Fieldlink is restarting or shutting down; reconnecting.';
    default:
      return 'Lost the link to the Fieldlink core; reconnecting.';
  }
}
