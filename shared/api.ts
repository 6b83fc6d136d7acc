import { z } from 'zod';
import { AppInfo, AuditEntry, Box, ConsoleSession, Job, Settings, Status, TrustPin } from './model.ts';
import type { ApiError } from './errors.ts';

/**
 * The one contract between the UI and the core. Both transports (Electron IPC and the browser
 * host's WebSocket) are derived from these two tables, so a call or event exists in exactly one
 * place. The core validates every input with `input`, and every output with `output`.
 *
 * To add a capability: add its calls and events here, implement the handlers in its core folder's
 * handlers.ts (electron/core/<concept>/handlers.ts, joined in electron/core/app.ts); both
 * transports and the typed client pick it up.
 */

const none = z.object({}).strict();
const call = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

export const calls = {
  'app.info': call(none, AppInfo),
  'status.get': call(none, Status),

  'boxes.list': call(none, z.array(Box)),
  'boxes.get': call(z.object({ id: z.string().min(1).max(200) }).strict(), Box),

  /** Passive discovery (mDNS): idempotent; a second call asks the LAN again at once. Never a sweep. */
  'discovery.start': call(none, z.object({ running: z.boolean() })),
  'discovery.stop': call(none, z.object({ running: z.boolean() })),

  'audit.list': call(
    z.object({ boxId: z.string().max(200).optional(), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
    z.array(AuditEntry),
  ),

  'jobs.list': call(none, z.array(Job)),
  'jobs.cancel': call(z.object({ id: z.string().min(1).max(100) }).strict(), Job),

  'settings.get': call(none, Settings),
  'settings.set': call(Settings.partial().strict(), Settings),

  'trust.list': call(none, z.array(TrustPin)),
  /** Pins a host key the technician accepted (first use) or typed/scanned from the box label. */
  'trust.pin': call(
    z.object({
      host: z.string().min(1).max(255),
      port: z.number().int().min(1).max(65535).default(22),
      keyType: z.string().min(1).max(64),
      fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'an OpenSSH SHA256 fingerprint'),
      source: z.enum(['typed', 'first-use']),
      boxId: z.string().max(200).optional(),
    }).strict(),
    TrustPin,
  ),

  /**
   * A terminal on a box, over SSH or the serial cable. Data is UTF-8 text both ways (xterm.js speaks
   * strings). Opening fails with HOST_KEY_UNKNOWN / HOST_KEY_CHANGED carrying
   * details { host, port, offered: [{ keyType, fingerprint }], pinned: [...] } for the trust prompt.
   */
  'console.open': call(
    z.object({ target: z.string().min(1).max(500), cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(500) }).strict(),
    ConsoleSession,
  ),
  'console.write': call(z.object({ sessionId: z.string().max(100), data: z.string().max(1 << 20) }).strict(), z.object({})),
  'console.resize': call(
    z.object({ sessionId: z.string().max(100), cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(500) }).strict(),
    z.object({}),
  ),
  'console.close': call(z.object({ sessionId: z.string().max(100) }).strict(), z.object({})),
} as const;

export const events = {
  /** A box was found, changed, or merged with another sighting. */
  'box.changed': Box,
  /** A long-running job started, moved, or ended. */
  'job.changed': Job,
  /** Collector reachability or outbox size changed. */
  'status.changed': Status,
  'settings.changed': Settings,
  /** Terminal output for one console session. */
  'console.data': z.object({ sessionId: z.string(), data: z.string() }),
  /** A console session connected, dropped, or closed. */
  'console.state': ConsoleSession,
} as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<N extends CallName> = z.input<Calls[N]['input']>;
/** The input as a handler sees it: validated, defaults applied. */
export type CallParsedInput<N extends CallName> = z.output<Calls[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Calls[N]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const callNames = Object.keys(calls) as CallName[];
export const eventNames = Object.keys(events) as EventName[];

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** What a transport carries back for a call: a value or a typed error, never a stack trace. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/**
 * The client the UI holds. Both transports implement it; the UI cannot tell them apart.
 * `call` rejects with a FieldlinkError; `on` returns its own unsubscribe.
 */
export interface FieldlinkClient {
  call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>>;
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The shape the Electron preload exposes on window.fieldlink: one function per call and event. */
export type PreloadBridge = {
  calls: { [N in CallName]: (input: unknown) => Promise<CallResult<unknown>> };
  events: { [E in EventName]: (listener: (payload: unknown) => void) => () => void };
};

/** Electron IPC channel names, derived from the contract (never written by hand). */
export const callChannel = (name: CallName): string => `fieldlink:call:${name}`;
export const eventChannel = (name: EventName): string => `fieldlink:event:${name}`;
