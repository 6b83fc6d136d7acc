import type { ListWatch } from '@kubernetes/client-node';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Logger } from '../log/index.ts';
import { apiError, PAGE, type ApiSession } from './collect.ts';
import { diagnose } from './diagnosis.ts';
import { MAX_EVENTS, MAX_PODS, eventHealth, nodeHealth, podHealth, usageOf, type EventHealth, type HealthSnapshot, type NodeHealth, type PodHealth } from './model.ts';
import { BoundedWatch, type WatchTransform } from './watch.ts';

/**
 * A box's nodes, pods and warning events kept current by client-node's ListWatch informers (list,
 * then watch; relist on 410 Gone; watches that end are restarted) over one ApiSession, and
 * metrics.k8s.io polled beside them. The informers' caches hold only what the model needs: each
 * object is turned into its NodeHealth / PodHealth / EventHealth as it arrives (bounded strings, no
 * annotations, no managed fields, no spec beyond limits), so a 1 MB annotation is parsed once and
 * dropped, and a snapshot of 5000 pods is a walk over ready-made values, not 5000 conversions.
 */

/** What an informer keeps per object: the identity ListWatch needs, and the model's value. */
export interface Slim<T> {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  health: T;
}

/** Warning events kept; beyond this the oldest is let go (counted), so a box that floods events costs a bounded cache. */
export const MAX_EVENT_CACHE = 2 * MAX_EVENTS;
/** metrics.k8s.io is polled this often (metrics-server itself scrapes every 15 s). */
export const METRICS_EVERY_MS = 15_000;
const MAX_NODES = 1000;
const MAX_NAME = 512;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The identity of a box object, or null when it has none (garbage is dropped here, before any cache). */
function identity(raw: unknown): Slim<unknown>['metadata'] | null {
  if (!isObj(raw) || !isObj(raw.metadata)) return null;
  const m = raw.metadata;
  if (typeof m.name !== 'string' || !m.name || m.name.length > MAX_NAME) return null;
  if (m.namespace !== undefined && (typeof m.namespace !== 'string' || m.namespace.length > MAX_NAME)) return null;
  const rv = typeof m.resourceVersion === 'string' && m.resourceVersion.length < 64 ? m.resourceVersion : undefined;
  return { name: m.name, namespace: (m.namespace as string | undefined) || undefined, resourceVersion: rv };
}

function slim<T>(raw: unknown, health: (raw: unknown) => T): Slim<T> | null {
  const metadata = identity(raw);
  if (!metadata) return null;
  try {
    return { metadata, health: health(raw) };
  } catch {
    return null;
  }
}

export const slimPod = (raw: unknown): Slim<PodHealth> | null => slim(raw, podHealth);
export const slimNode = (raw: unknown): Slim<NodeHealth> | null => slim(raw, nodeHealth);
/** Only warnings: the box is asked for type=Warning, and one that ignores the selector is filtered here. */
export const slimEvent = (raw: unknown): Slim<EventHealth> | null => (isObj(raw) && raw.type === 'Warning' ? slim(raw, eventHealth) : null);

const keyOf = (m: Slim<unknown>['metadata']) => `${m.namespace ?? ''}/${m.name}`;

export interface Backoff {
  /** Milliseconds to wait before attempt `n` (1-based): randomized exponential ("full jitter" over an exponential cap). */
  (n: number): number;
}

export const backoff =
  (baseMs: number, maxMs: number): Backoff =>
  (n) => {
    const cap = Math.min(maxMs, baseMs * 2 ** Math.min(20, Math.max(0, n - 1)));
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  };

export interface InformerOptions {
  /** Something in a cache changed (or metrics answered). */
  onChange(): void;
  /** An informer failed (list or watch); it is restarted after a backoff. */
  onError(err: FieldlinkError): void;
  /** A watch line arrived: proof of a live link between heartbeats. */
  onActivity?(): void;
  target: string;
  log?: Logger;
  /** Restart delay after an informer failed (default 0.5 s doubling to 30 s, randomized). */
  retry?: Backoff;
  metricsEveryMs?: number;
}

type K8s = typeof import('@kubernetes/client-node');

interface Tracked<T> {
  name: 'nodes' | 'pods' | 'events';
  lw: ListWatch<Slim<T> & { kind?: string }>;
  synced: boolean;
  failures: number;
  timer: NodeJS.Timeout | null;
  /** Objects the box has beyond what is kept (over a cap), for exact counts. */
  overflow: number;
  lists: number;
  watches: number;
}

/** Counts for diagnostics and tests: lists done (a relist after 410 adds one), watches opened, failures. */
export interface InformerStats {
  lists: Record<Tracked<unknown>['name'], number>;
  watches: Record<Tracked<unknown>['name'], number>;
  failures: number;
}

/** The informers of one connection: started once, stopped when the link is judged dead (a reconnect builds new ones). */
export class BoxInformers {
  readonly #s: ApiSession;
  readonly #o: InformerOptions;
  readonly #nodes: Tracked<NodeHealth>;
  readonly #pods: Tracked<PodHealth>;
  readonly #events: Tracked<EventHealth>;
  /** Warning events in arrival order, to let the oldest go first. */
  readonly #eventOrder = new Map<string, Slim<EventHealth>>();
  #podCount = 0;
  #usage: ReturnType<typeof usageOf> | null = null;
  #metricsTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  #lastError: FieldlinkError | null = null;

  constructor(k8s: K8s, session: ApiSession, o: InformerOptions) {
    this.#s = session;
    this.#o = o;
    this.#nodes = this.#track(
      k8s,
      'nodes',
      '/api/v1/nodes',
      undefined,
      (_t, raw) => slimNode(raw),
      () => this.#listNodes(),
    );
    this.#pods = this.#track(
      k8s,
      'pods',
      '/api/v1/pods',
      undefined,
      (t, raw) => this.#podEvent(t, raw),
      () => this.#listPods(),
    );
    this.#events = this.#track(
      k8s,
      'events',
      '/api/v1/events',
      'type=Warning',
      (t, raw, emit) => this.#eventEvent(t, raw, emit),
      () => this.#listEvents(),
    );
    this.#pods.lw.on('add', () => void this.#podCount++);
    this.#pods.lw.on('delete', () => void this.#podCount--);
    this.#events.lw.on('add', (o) => void this.#eventOrder.set(keyOf(o.metadata), o));
    this.#events.lw.on('delete', (o) => void this.#eventOrder.delete(keyOf(o.metadata)));
  }

  #track<T>(k8s: K8s, name: Tracked<T>['name'], path: string, fieldSelector: string | undefined, transform: WatchTransform, list: () => Promise<SlimList<T>>): Tracked<T> {
    const t: Tracked<T> = { name, lw: null as unknown as Tracked<T>['lw'], synced: false, failures: 0, timer: null, overflow: 0, lists: 0, watches: 0 };
    const watch = new BoundedWatch(this.#s, { transform, onActivity: () => this.#o.onActivity?.(), onStart: () => void t.watches++ });
    const listFn = async () => {
      const r = await list();
      t.lists++;
      t.synced = true;
      t.failures = 0;
      this.#o.onChange();
      return r as never;
    };
    // ListWatch waits BASE doubling to 30 s before re-watching a watch that ended with no event between; a box that
    // ends watches every second would leave changes unseen for 30 s. A quarter of it, randomized, keeps a reconnect
    // quick (0.1-0.25 s first) and still backs off to ~1 s for a server that ends every watch at once.
    const delayFn = (ms: number) => new Promise<void>((r) => setTimeout(r, (Math.min(ms, 4000) / 4) * (0.5 + Math.random() / 2)).unref());
    t.lw = new k8s.ListWatch(path, watch as never, listFn, false, undefined, fieldSelector, { delayFn }) as Tracked<T>['lw'];
    t.lw.on('change', () => this.#o.onChange());
    t.lw.on('error', (err: unknown) => this.#failed(t, err));
    return t;
  }

  /** An informer that stopped on an error: reported, and started again after a randomized backoff (it resumes from its version, or relists). */
  #failed<T>(t: Tracked<T>, err: unknown): void {
    if (this.#stopped) return;
    t.failures++;
    const e = liveError(err, this.#o.target);
    this.#lastError = e;
    this.#o.log?.info({ target: this.#o.target, informer: t.name, failures: t.failures, code: e.code, err: e.message }, 'informer failed; restarting');
    this.#o.onError(e);
    const wait = (this.#o.retry ?? backoff(500, 30_000))(t.failures);
    t.timer = setTimeout(() => {
      t.timer = null;
      if (!this.#stopped) t.lw.start().catch((e2: unknown) => this.#failed(t, e2));
    }, wait);
    t.timer.unref();
  }

  /** A pod event, kept within MAX_PODS: a new pod past the bound is only counted. */
  #podEvent(type: string, raw: unknown): Slim<PodHealth> | null {
    const s = slimPod(raw);
    if (!s) return null;
    const known = this.#pods.lw.get(s.metadata.name, s.metadata.namespace) !== undefined;
    if (type === 'DELETED' && !known) {
      this.#pods.overflow = Math.max(0, this.#pods.overflow - 1);
      this.#o.onChange();
      return null;
    }
    if (type !== 'DELETED' && !known && this.#podCount >= MAX_PODS) {
      this.#pods.overflow++;
      this.#o.onChange();
      return null;
    }
    return s;
  }

  /** A warning event; at MAX_EVENT_CACHE the oldest kept one is let go (and counted) to make room: new warnings matter most. */
  #eventEvent(type: string, raw: unknown, emit: (type: string, obj: object) => void): Slim<EventHealth> | null {
    const s = slimEvent(raw);
    if (!s) return null;
    const known = this.#eventOrder.has(keyOf(s.metadata));
    if (type === 'DELETED' && !known) {
      this.#events.overflow = Math.max(0, this.#events.overflow - 1);
      return null;
    }
    if (type !== 'DELETED' && !known && this.#eventOrder.size >= MAX_EVENT_CACHE) {
      const oldest = this.#eventOrder.values().next().value;
      if (oldest) emit('DELETED', oldest);
      this.#events.overflow++;
    }
    return s;
  }

  async #listNodes(): Promise<SlimList<NodeHealth>> {
    const r = await this.#s.core.listNode({ limit: MAX_NODES });
    return { metadata: { resourceVersion: r.metadata?.resourceVersion ?? '' }, items: keep(r.items, slimNode, MAX_NODES).items };
  }

  async #listEvents(): Promise<SlimList<EventHealth>> {
    const r = await this.#s.core.listEventForAllNamespaces({ fieldSelector: 'type=Warning', limit: MAX_EVENT_CACHE });
    const k = keep(r.items, slimEvent, MAX_EVENT_CACHE);
    this.#events.overflow = k.dropped + (r.metadata?.remainingItemCount ?? 0);
    return { metadata: { resourceVersion: r.metadata?.resourceVersion ?? '' }, items: k.items };
  }

  /** All pods in pages of PAGE (one consistent list at the first page's version), kept to MAX_PODS, the rest counted. */
  async #listPods(): Promise<SlimList<PodHealth>> {
    const items: Slim<PodHealth>[] = [];
    let rv = '';
    let cont: string | undefined;
    let limit = PAGE;
    let overflow = 0;
    for (;;) {
      let r: Awaited<ReturnType<ApiSession['core']['listPodForAllNamespaces']>>;
      try {
        r = await this.#s.core.listPodForAllNamespaces({ limit, _continue: cont });
      } catch (err) {
        // A page over the byte bound (pods with huge annotations): ask again for fewer per page.
        if (!(err instanceof FieldlinkError && err.details?.tooBig) || limit === 1) throw err;
        limit = Math.max(1, Math.floor(limit / 10));
        continue;
      }
      if (!cont) rv = r.metadata?.resourceVersion ?? '';
      const k = keep(r.items, slimPod, MAX_PODS - items.length);
      items.push(...k.items);
      overflow += k.dropped;
      cont = r.metadata?._continue || undefined;
      if (!cont) break;
      if (items.length >= MAX_PODS) {
        overflow += r.metadata?.remainingItemCount ?? 0;
        break;
      }
    }
    this.#pods.overflow = overflow;
    return { metadata: { resourceVersion: rv }, items };
  }

  async #pollMetrics(): Promise<void> {
    const get = async (plural: 'nodes' | 'pods'): Promise<unknown[] | null> => {
      try {
        const r = (await this.#s.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural, limit: MAX_PODS })) as { items?: unknown };
        return Array.isArray(r?.items) ? r.items : null;
      } catch {
        return null;
      }
    };
    const [n, p] = await Promise.all([get('nodes'), get('pods')]);
    if (this.#stopped) return;
    const had = this.#usage !== null;
    this.#usage = n || p ? usageOf(n ?? [], p ?? []) : null;
    if (this.#usage || had) this.#o.onChange();
  }

  /** The model from the caches: ready-made values, usage applied (copies, the cached values stay as they came), then the diagnosis. */
  snapshot(c: SnapshotContext): HealthSnapshot {
    const u = this.#usage;
    const nodes = this.#nodes.lw.list().map((s) => (u ? { ...s.health, usage: u.nodes.get(s.health.name) ?? null } : s.health));
    const pods = this.#pods.lw.list().map((s) => (u ? { ...s.health, usage: u.pods.get(`${s.health.namespace}/${s.health.name}`) ?? null } : s.health));
    nodes.sort((a, b) => collator.compare(a.name, b.name));
    pods.sort((a, b) => collator.compare(a.namespace, b.namespace) || collator.compare(a.name, b.name));
    const events = this.#events.lw.list().map((s) => s.health);
    const warnings = events.sort((a, b) => ((b.lastSeen ?? '') < (a.lastSeen ?? '') ? -1 : (b.lastSeen ?? '') > (a.lastSeen ?? '') ? 1 : 0)).slice(0, MAX_EVENTS);
    const podCount = pods.length + this.#pods.overflow;
    const snap: HealthSnapshot = {
      target: c.target,
      via: 'api',
      link: c.link,
      takenAt: new Date().toISOString(),
      nodes,
      pods,
      podCount,
      podsTruncated: podCount > pods.length,
      warnings,
      warningCount: events.length + this.#events.overflow,
      metrics: u !== null,
      clock: c.clock,
      clientCert: c.clientCert,
      disk: c.disk,
      diagnosis: [],
    };
    snap.diagnosis = diagnose(snap);
    return snap;
  }

  start(): void {
    for (const t of [this.#nodes, this.#pods, this.#events] as Tracked<unknown>[]) t.lw.start().catch((err: unknown) => this.#failed(t, err));
    const every = this.#o.metricsEveryMs ?? METRICS_EVERY_MS;
    const poll = async () => {
      await this.#pollMetrics();
      if (!this.#stopped) (this.#metricsTimer = setTimeout(() => void poll(), every)).unref();
    };
    void poll();
  }

  /** Every informer has listed at least once on this connection. */
  get synced(): boolean {
    return this.#nodes.synced && this.#pods.synced && this.#events.synced;
  }

  stats(): InformerStats {
    const all = [this.#nodes, this.#pods, this.#events] as Tracked<unknown>[];
    const by = (f: (t: Tracked<unknown>) => number) => Object.fromEntries(all.map((t) => [t.name, f(t)])) as InformerStats['lists'];
    return { lists: by((t) => t.lists), watches: by((t) => t.watches), failures: all.reduce((n, t) => n + t.failures, 0) };
  }

  get lastError(): FieldlinkError | null {
    return this.#lastError;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#metricsTimer) clearTimeout(this.#metricsTimer);
    for (const t of [this.#nodes, this.#pods, this.#events] as Tracked<unknown>[]) {
      if (t.timer) clearTimeout(t.timer);
      await t.lw.stop();
    }
  }
}

type SlimList<T> = { metadata: { resourceVersion: string }; items: Slim<T>[] };

export type SnapshotContext = Pick<HealthSnapshot, 'target' | 'link' | 'clock' | 'clientCert' | 'disk'>;

/** kubectl-like order without localeCompare's per-call cost (a snapshot sorts 5000 pods). */
const collator = new Intl.Collator('en');

function keep<T>(items: unknown[] | undefined, fn: (raw: unknown) => Slim<T> | null, room: number): { items: Slim<T>[]; dropped: number } {
  const out: Slim<T>[] = [];
  let dropped = 0;
  for (const raw of items ?? []) {
    const s = out.length < room ? fn(raw) : null;
    if (s) out.push(s);
    else dropped++;
  }
  return { items: out, dropped };
}

/** Any failure on the live path as a FieldlinkError with a next step (the one-shot's words, plus garbage answers). */
export function liveError(err: unknown, target: string): FieldlinkError {
  if (err instanceof FieldlinkError) return err;
  const e = err as { name?: unknown; code?: unknown; statusCode?: unknown; message?: unknown; cause?: unknown } | null;
  const msg = typeof e?.message === 'string' ? e.message : '';
  if (e?.name === 'SyntaxError' || /is not valid JSON|Unexpected token|JSON at position/.test(msg))
    return new FieldlinkError('PROTOCOL', `The k3s API on ${target} answered with something that is not Kubernetes JSON. Is the box's k3s the one its kubeconfig names?`, {
      target,
    });
  // A DOMException carries a numeric `code` of its own (TimeoutError is 23): never read it as an HTTP status.
  if (e?.name === 'TimeoutError')
    return new FieldlinkError('TIMEOUT', `The k3s API on ${target} stopped answering (the link to the box may be down). Fieldlink keeps trying.`, { target });
  if (typeof e?.statusCode === 'number') {
    if (e.statusCode === 429)
      return new FieldlinkError('REMOTE_FAILED', `The k3s API on ${target} has too many open watches (HTTP 429); Fieldlink retries.`, { target, status: 429 });
    return asFieldlink(apiError({ code: e.statusCode, message: msg }, target, null, undefined), target);
  }
  // undici's own errors carry the TLS or socket code themselves; apiError reads it from `cause`, as fetch wraps it.
  const wrapped = typeof e?.code === 'string' && !e?.cause ? { message: msg, cause: e } : err;
  return asFieldlink(apiError(wrapped, target, null, undefined), target);
}

function asFieldlink(err: unknown, target: string): FieldlinkError {
  return err instanceof FieldlinkError ? err : new FieldlinkError('INTERNAL', `Reading health from ${target} failed unexpectedly.`, { target }, { cause: err });
}
