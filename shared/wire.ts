import { z } from 'zod';
import { ApiError } from './errors.ts';

/**
 * How shared/api.ts travels over the browser host's WebSocket. Both ends import this file: the
 * server (electron/web/) validates what clients send with these schemas, the client (websocket.ts)
 * validates what the server sends. It has no DOM or Node dependency so either side can load it.
 *
 * Session: the client's first message is `hello` with the session token; the server answers `ready`
 * or closes with CLOSE_UNAUTHORIZED. Then `call`s are answered by a `result` with the same id, and
 * `sub`/`unsub` choose which contract events the server forwards as `event` messages.
 */

/** Messages bigger than this are refused with a typed error and the connection stays open. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Frames bigger than this are cut off by the WebSocket layer before they are buffered (close 1009). */
export const MAX_FRAME_BYTES = 2 * MAX_MESSAGE_BYTES;

/** Close codes the client acts on (4000-4999 is the application range of RFC 6455). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_SLOW_CONSUMER = 4408;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_GOING_AWAY = 1001;

/** The WebSocket's path on the browser host. */
export const API_PATH = '/api';

const CallId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ClientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), token: z.string().min(1).max(200) }).strict(),
  z.object({ t: z.literal('call'), id: CallId, name: z.string().min(1).max(100), input: z.unknown().optional() }).strict(),
  z.object({ t: z.literal('sub'), name: z.string().min(1).max(100) }).strict(),
  z.object({ t: z.literal('unsub'), name: z.string().min(1).max(100) }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ServerMessage = z.union([
  z.object({ t: z.literal('ready') }),
  z.object({ t: z.literal('result'), id: CallId, ok: z.literal(true), value: z.unknown() }),
  z.object({ t: z.literal('result'), id: CallId, ok: z.literal(false), error: ApiError }),
  z.object({ t: z.literal('event'), name: z.string(), payload: z.unknown() }),
  /** A refusal that belongs to no call: a frame that is not JSON, too big, an unknown event name… */
  z.object({ t: z.literal('error'), error: ApiError }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
