import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import { isEventName, type EventName } from '../../shared/api.ts';
import { FieldlinkError, describeZodError, type ApiError } from '../../shared/errors.ts';
import { MAX_QUEUED_BYTES } from '../../shared/flow.ts';
import { CLOSE_GOING_AWAY, CLOSE_SLOW_CONSUMER, CLOSE_UNAUTHORIZED, ClientMessage, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, type ServerMessage } from '../../shared/wire.ts';
import type { CoreDoor } from '../core/app.ts';
import { detailsInLog, type Logger } from '../core/log/index.ts';

export interface SessionLimits {
  /** How long a new socket may take to say hello with the token. */
  helloTimeoutMs: number;
  /** Calls one socket may have running at once; more are refused, not queued. */
  maxInFlight: number;
  /**
   * Bytes queued for a client that does not read before it is cut off (it reconnects and
   * resubscribes); the bound IPC holds windows to as well (shared/flow.ts).
   */
  maxBufferedBytes: number;
}

/**
 * How the browser host's ws server is set up. UTF-8 is checked here rather than by ws, which would
 * drop the whole connection (1007) on one bad frame; this way the frame gets a typed error and the
 * socket stays.
 */
export const SOCKET_SERVER_OPTIONS = { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, skipUTF8Validation: true } as const;

export const DEFAULT_LIMITS: SessionLimits = { helloTimeoutMs: 10_000, maxInFlight: 64, maxBufferedBytes: MAX_QUEUED_BYTES };

/** Compares tokens in constant time, whatever their lengths. */
export function tokenMatches(expected: string, offered: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(offered).digest();
  return timingSafeEqual(a, b);
}

/**
 * One browser tab's WebSocket: authenticates with the session token, then carries calls to the
 * core's dispatcher and the events the tab subscribed to. Every bad message is answered with a typed
 * error and the socket keeps serving; only a wrong token or a client that stops reading ends it.
 */
export function serveSocket(ws: WebSocket, opts: { app: CoreDoor; token: string; log: Logger; remote: string; limits: SessionLimits }): void {
  const { app, log, remote, limits } = opts;
  const subscribed = new Set<EventName>();
  let authed = false;
  let inFlight = 0;
  let offBus: (() => void) | null = null;

  const send = (msg: ServerMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      log.warn({ remote, buffered: ws.bufferedAmount }, 'browser host: client is not reading; closing its socket');
      ws.close(CLOSE_SLOW_CONSUMER, 'Client too slow; reconnect');
      return;
    }
    let frame: string;
    try {
      frame = JSON.stringify(msg);
    } catch (err) {
      // A value JSON cannot carry (a BigInt, a cycle) is the core's bug; the caller still gets an answer.
      log.error({ err, message: msg.t }, 'browser host: could not serialise a message');
      if (msg.t !== 'result') return;
      frame = JSON.stringify({ t: 'result', id: msg.id, ok: false, error: { code: 'INTERNAL', message: `The answer could not be sent. ${detailsInLog(log)}` } });
    }
    ws.send(frame);
  };
  const refuse = (error: ApiError): void => send({ t: 'error', error });

  const helloTimer = setTimeout(() => {
    log.warn({ remote }, 'browser host: no session token in time; closing');
    ws.close(CLOSE_UNAUTHORIZED, 'UNAUTHORIZED');
  }, limits.helloTimeoutMs);

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return refuse(bad('Binary frames are not part of the Fieldlink protocol; send JSON text.'));
    const size = byteLength(data);
    if (size > MAX_MESSAGE_BYTES) return refuse(bad(`Message too large (${size} bytes; the limit is ${MAX_MESSAGE_BYTES}).`));
    let text: string;
    try {
      text = toText(data);
    } catch {
      return refuse(bad('The message is not valid UTF-8 text.'));
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return refuse(bad('The message is not valid JSON.'));
    }
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) {
      const id = callIdOf(raw);
      const error = bad(`Malformed message. ${describeZodError(parsed.error)}`);
      if (authed && id !== null) return send({ t: 'result', id, ok: false, error });
      return refuse(error);
    }
    const msg = parsed.data;

    if (!authed) {
      if (msg.t === 'hello' && tokenMatches(opts.token, msg.token)) {
        authed = true;
        clearTimeout(helloTimer);
        offBus = app.bus.onAny((name, payload) => {
          if (subscribed.has(name)) send({ t: 'event', name, payload });
        });
        log.info({ remote }, 'browser host: session opened');
        return send({ t: 'ready' });
      }
      // Never echo or log what was offered: it may be a real token for another session.
      log.warn({ remote, message: msg.t }, 'browser host: refused a socket without the right session token');
      refuse(new FieldlinkError('UNAUTHORIZED', 'This browser tab has no valid Fieldlink session. Open the address printed by `fieldlink ui` again.').toJSON());
      ws.close(CLOSE_UNAUTHORIZED, 'UNAUTHORIZED');
      return;
    }

    switch (msg.t) {
      case 'hello':
        return; // Already authenticated: a repeated hello changes nothing.
      case 'sub':
      case 'unsub':
        if (!isEventName(msg.name)) return refuse({ code: 'BAD_REQUEST', message: `Unknown event: ${msg.name.slice(0, 80)}` });
        if (msg.t === 'sub') subscribed.add(msg.name);
        else subscribed.delete(msg.name);
        return;
      case 'call': {
        if (inFlight >= limits.maxInFlight) {
          return send({
            t: 'result',
            id: msg.id,
            ok: false,
            error: { code: 'CONFLICT', message: `Too many calls at once (limit ${limits.maxInFlight}); wait for some to finish.` },
          });
        }
        inFlight++;
        // dispatch never throws: it turns every failure into a typed error value.
        void app.dispatch(msg.name, msg.input).then((result) => {
          inFlight--;
          send(result.ok ? { t: 'result', id: msg.id, ok: true, value: result.value } : { t: 'result', id: msg.id, ok: false, error: result.error });
        });
        return;
      }
    }
  });

  ws.on('error', (err: Error & { code?: string }) => {
    // ws has already closed the socket with the right code (e.g. 1009 for an oversized frame).
    log.warn({ remote, code: err.code }, 'browser host: socket error');
  });
  ws.on('close', () => {
    clearTimeout(helloTimer);
    offBus?.();
    subscribed.clear();
  });
}

/** Ends every socket politely when the host shuts down. */
export function goAway(ws: WebSocket): void {
  ws.close(CLOSE_GOING_AWAY, 'Fieldlink is shutting down');
}

function bad(message: string): ApiError {
  return { code: 'BAD_REQUEST', message };
}

function callIdOf(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { t, id } = raw as { t?: unknown; id?: unknown };
  return t === 'call' && typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a text frame, throwing on invalid UTF-8 (ws is told not to check; see SOCKET_SERVER_OPTIONS). */
function toText(data: RawData): string {
  if (Array.isArray(data)) return utf8.decode(Buffer.concat(data));
  return utf8.decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}
