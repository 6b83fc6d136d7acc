import { z } from 'zod';
import { AppInfo, AuditEntry, Box, ConsoleSession, Job, Settings, Status, TrustPin } from './model.ts';
import type { ApiError } from './errors.ts';
import { HealthView } from './health.ts';
import { LogListing } from './logs.ts';
import { ProfileCheck, ProfileFile, ProvisionRun, provisionCalls } from './provision.ts';

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
/**
 * A password the technician typed for one call: held only for that call, never logged (the logger
 * redacts `password`) and never echoed in an error; remembered only after the box accepted it.
 */
const PasswordInput = {
  password: z.string().min(1).max(1024).optional(),
  remember: z.boolean().optional(),
};

/** details of AUTH_FAILED when a password would get in: the UI shows its password prompt. */
export const PasswordNeeded = z.object({
  needs: z.literal('password'),
  /** A password was tried and refused (typed for this call, or the remembered one). */
  wrong: z.boolean(),
  /** The refused password was the one remembered on this laptop. */
  remembered: z.boolean(),
  via: z.enum(['ssh', 'serial']),
  /** The target as the caller wrote it. */
  target: z.string(),
  /** Who logs in (root on edge boxes). */
  user: z.string(),
});
export type PasswordNeeded = z.infer<typeof PasswordNeeded>;
const call = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

/** A subnet to sweep, as typed; the core's CIDR rule checks it. */
const SweepInput = z.object({ cidr: z.string().max(100), force: z.boolean().optional() }).strict();
/** What a sweep will touch: the normalised range, the count of addresses tried, ports and pace. */
export const SweepPlan = z.object({
  cidr: z.string(),
  network: z.string(),
  prefix: z.number().int(),
  count: z.number().int(),
  first: z.string(),
  last: z.string(),
  normalised: z.boolean(),
  forced: z.boolean(),
  ports: z.array(z.number().int()),
  concurrency: z.number().int(),
  ratePerSecond: z.number(),
});
export type SweepPlan = z.infer<typeof SweepPlan>;

const BoxRef = z.object({ boxId: z.string().min(1).max(200) }).strict();
/** A pod's log, as kubectl logs names it. */
const PodLogInput = z.object({
  boxId: z.string().min(1).max(200),
  namespace: z.string().min(1).max(253),
  pod: z.string().min(1).max(253),
  container: z.string().min(1).max(253).optional(),
  previous: z.boolean().default(false),
  tailLines: z.number().int().min(1).max(100_000).default(1000),
});

export const calls = {
  'app.info': call(none, AppInfo),
  'status.get': call(none, Status),

  'boxes.list': call(none, z.array(Box)),
  'boxes.get': call(z.object({ id: z.string().min(1).max(200) }).strict(), Box),

  /** Passive discovery (mDNS): idempotent; a second call asks the LAN again at once. Never a sweep. */
  'discovery.start': call(none, z.object({ running: z.boolean() })),
  'discovery.stop': call(none, z.object({ running: z.boolean() })),
  /**
   * What a subnet sweep of `cidr` would touch, checked by the core's one CIDR rule (at most a /16
   * unless `force`, never beyond a /8, never 0/8, multicast or 240/4): BAD_REQUEST with a sentence
   * to show otherwise. Sends nothing. The UI shows this before it asks to scan.
   */
  'discovery.checkSweep': call(SweepInput, SweepPlan),
  /** The laptop's own IPv4 subnets (cut to a /24 when bigger than a /16), to offer in "Scan subnet". Sends nothing. */
  'discovery.subnets': call(none, z.array(z.object({ cidr: z.string(), interface: z.string(), address: z.string() }))),
  /**
   * Opt-in active sweep: a TCP connect to 22 and 6443 on every address, the SSH banner and host keys
   * read without logging in, each box found recorded as a 'sweep' sighting (box.changed). Runs as a
   * job (job.changed: progress "N of M addresses", cancel with jobs.cancel); answers at once with the
   * job id and the plan. CONFLICT while another sweep runs.
   */
  'discovery.sweep': call(SweepInput, z.object({ jobId: z.string(), plan: SweepPlan })),

  /**
   * Watches a box's health: the core keeps a live model over the pooled SSH link (Kubernetes
   * informers through a tunnel), or reads it over the serial console when only the cable reaches the
   * box, and sends health.changed. Answers at once with what it has: live data, the snapshot kept on
   * disk (state 'snapshot'), or 'connecting'. Several watchers share one model; each watch needs its
   * unwatch (the model stops a little after the last one leaves).
   */
  'health.watch': call(BoxRef, HealthView),
  'health.unwatch': call(BoxRef, z.object({})),
  /** The view without watching: live when someone watches, else the kept snapshot (or state 'none'). */
  'health.get': call(BoxRef, HealthView),
  /**
   * A pod's log through the box's API (the pooled SSH link), at most `limitBytes`, newest lines kept:
   * `previous` for the container that ended last (what a crash-looping pod said before it died).
   * With `follow`, answers with a stream id and sends the rest as health.podLog until
   * health.stopPodLog or the pod ends.
   */
  'health.podLog': call(
    PodLogInput.extend({ follow: z.boolean().default(false) }).strict(),
    z.object({ text: z.string(), truncated: z.boolean(), streamId: z.string().nullable() }),
  ),
  'health.stopPodLog': call(z.object({ streamId: z.string().max(100) }).strict(), z.object({})),
  /** Saves a pod's whole log (bounded at 256 MiB) to a file in the data folder, fsync'd: the answer names it. */
  'health.savePodLog': call(PodLogInput.strict(), z.object({ path: z.string(), bytes: z.number() })),

  /** The log segments kept on this laptop, newest first (at most 2000), with disk use and what waits. */
  'logs.list': call(z.object({ boxId: z.string().max(200).optional() }).strict(), LogListing),
  /**
   * Sends every waiting segment to the collector in Settings, once, as a job (job.changed: "N of M
   * segments", cancel with jobs.cancel); status.changed follows with the outbox and the collector's
   * reachability. BAD_REQUEST without a collector; AUTH_FAILED without a token; CONFLICT while one runs.
   */
  'logs.sync': call(none, z.object({ jobId: z.string() })),
  /**
   * Collects new logs from these boxes (by id, one after the other) into the store, as a job
   * (job.changed: the box and source being read); redacted before they are kept. A box that cannot
   * be reached fails the job with its reason after the others were collected.
   */
  'logs.collect': call(z.object({ boxIds: z.array(z.string().min(1).max(200)).min(1).max(50) }).strict(), z.object({ jobId: z.string() })),
  /** Keeps the technician's collector token in the keychain (write-only); an empty one forgets it. */
  'logs.setToken': call(z.object({ token: z.string().max(4096) }).strict(), z.object({})),

  /** The profiles to pick from: the example shipped with the app, then <data>/profiles/*.yaml. */
  'provision.profiles': call(provisionCalls.profiles, z.array(ProfileFile)),
  /** Checks a profile's text as the technician types: every problem with its line, column and field. */
  'provision.check': call(provisionCalls.check, ProfileCheck),
  /**
   * Provisions (or, with dryRun, checks) the boxes against the profile, `parallel` at once, as a job
   * (cancel with jobs.cancel); provision.changed follows every step of every box. A box that fails
   * never stops the others. BAD_REQUEST for an invalid profile, with details.problems.
   */
  'provision.start': call(provisionCalls.start, ProvisionRun),
  'provision.get': call(provisionCalls.get, ProvisionRun),

  'audit.list': call(z.object({ boxId: z.string().max(200).optional(), limit: z.number().int().min(1).max(1000).default(200) }).strict(), z.array(AuditEntry)),

  'jobs.list': call(none, z.array(Job)),
  'jobs.cancel': call(z.object({ id: z.string().min(1).max(100) }).strict(), Job),

  'settings.get': call(none, Settings),
  'settings.set': call(Settings.partial().strict(), Settings),

  'trust.list': call(none, z.array(TrustPin)),
  /**
   * Pins the host key the trust prompt showed (the one the core saw in the refused handshake), on
   * first use or checked against the box label. A host:port already pinned to another key is refused
   * (HOST_KEY_CHANGED); source 'typed' needs `typed`, what the technician typed, matching `fingerprint`.
   */
  'trust.pin': call(
    z
      .object({
        host: z.string().min(1).max(255),
        port: z.number().int().min(1).max(65535).default(22),
        keyType: z.string().min(1).max(64),
        fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'an OpenSSH SHA256 fingerprint'),
        source: z.enum(['typed', 'first-use']),
        typed: z.string().max(200).optional(),
        boxId: z.string().max(200).optional(),
      })
      .strict(),
    TrustPin,
  ),

  /**
   * A terminal on a box, over SSH or the serial cable. Data is UTF-8 text both ways (xterm.js speaks
   * strings). Opening fails with HOST_KEY_UNKNOWN / HOST_KEY_CHANGED carrying
   * details { host, port, offered: [{ keyType, fingerprint }], pinned: [...] } for the trust prompt,
   * and with AUTH_FAILED carrying details PasswordNeeded when no agent or key worked and the box takes
   * a password: call again with `password` (and `remember` to keep it in the keychain once it works).
   */
  'console.open': call(
    z
      .object({
        target: z.string().min(1).max(500),
        cols: z.number().int().min(2).max(1000),
        rows: z.number().int().min(2).max(500),
        ...PasswordInput,
      })
      .strict(),
    ConsoleSession.extend({ passwordLogin: z.boolean().describe('this open logged in with a password (typed or remembered): offer keys.install') }),
  ),
  'console.write': call(z.object({ sessionId: z.string().max(100), data: z.string().max(1 << 20) }).strict(), z.object({})),
  'console.resize': call(z.object({ sessionId: z.string().max(100), cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(500) }).strict(), z.object({})),
  'console.close': call(z.object({ sessionId: z.string().max(100) }).strict(), z.object({})),

  /** Forgets the box password remembered on this laptop for a target (its box, and its address or port). */
  'credentials.forget': call(z.object({ target: z.string().min(1).max(500) }).strict(), z.object({ forgotten: z.boolean() })),
  /**
   * Appends this laptop's technician key to the box's ~/.ssh/authorized_keys (idempotent), over the
   * shell the target reaches (for SSH the pooled connection a password login just opened), so the
   * next connection logs in with the key. Fails like console.open when a password is needed.
   */
  'keys.install': call(
    z.object({ target: z.string().min(1).max(500), ...PasswordInput }).strict(),
    z.object({
      added: z.boolean(),
      fingerprint: z.string(),
      user: z.string(),
      /** SSH: a fresh login with only the technician key worked (false: the box keeps asking for the password). Serial: null. */
      verified: z.boolean().nullable(),
    }),
  ),
} as const;

export const events = {
  /** A box was found, changed, or merged with another sighting. */
  'box.changed': Box,
  /** A box was merged into another (a cable-only box identified by a login): drop it from the view. */
  'box.removed': z.object({ id: z.string() }),
  /** A long-running job started, moved, or ended. */
  'job.changed': Job,
  /** Collector reachability or outbox size changed. */
  'status.changed': Status,
  'settings.changed': Settings,
  /** Terminal output for one console session. */
  'console.data': z.object({ sessionId: z.string(), data: z.string() }),
  /** A console session connected, dropped, or closed. */
  'console.state': ConsoleSession,
  /** A watched box's health moved: new data, or live / stale / snapshot. Throttled by the core. */
  'health.changed': HealthView,
  /** A provisioning run moved: a step started, logged, or ended on a box (throttled by the core). */
  'provision.changed': ProvisionRun,
  /** More of a followed pod log; `ended` with the stream's last chunk (the pod ended, the link dropped, or stopped). */
  'health.podLog': z.object({ streamId: z.string(), data: z.string(), ended: z.boolean(), error: z.string().nullable() }),
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
