import { FieldlinkError } from '../../../shared/errors.ts';
import type { Logger } from '../log/index.ts';
import { diskUse, loadClientNode, type ApiSession } from './collect.ts';
import { BoxInformers, backoff, liveError, type Backoff, type InformerStats } from './informers.ts';
import { certInfo, type BoxClock } from './kubeconfig.ts';
import type { HealthSnapshot } from './model.ts';

/**
 * One box's health kept live: informers for nodes, pods and warning events over an ApiSession
 * (the pooled SSH connection's tunnel), metrics.k8s.io polled, and a heartbeat that decides whether
 * the link is alive. A quiet watch is not a dead link: only the heartbeat (GET /readyz every few
 * seconds with a short timeout) marks the box stale, keeping the last good data and its time; the
 * connection is then rebuilt through the factory (a dropped SSH link means a new shell and tunnel)
 * with randomized exponential backoff, and the box goes live again by itself.
 */

export type LiveState = 'connecting' | 'live' | 'stale';

export interface LiveUpdate {
  target: string;
  state: LiveState;
  /** The whole current picture (same shape as healthOverApi's); treat it as read-only: values are shared between updates. */
  snapshot: HealthSnapshot | null;
  /** When the data shown was last known current (the last heartbeat answered while live). */
  lastGoodAt: string | null;
  error: { code: string; message: string } | null;
}

export interface LiveConnection {
  session: ApiSession;
  close(): Promise<void>;
}

export interface LiveHealthOptions {
  target: string;
  /** Opens a pooled shell + ApiSession; called again on each reconnect. */
  connect(signal: AbortSignal): Promise<LiveConnection>;
  /** Throttled to at most one per throttleMs (default 250) with the whole current picture; the first update is sent at once. */
  onUpdate(u: LiveUpdate): void;
  /** A box whose link drops is marked stale within this (default 10 s). */
  staleAfterMs?: number;
  throttleMs?: number;
  log?: Logger;
  /** Reconnect delays (default 0.5 s doubling to 10 s, randomized). */
  retry?: Backoff;
  /** For tests: how often metrics.k8s.io is asked (default 15 s). */
  metricsEveryMs?: number;
}

/** A connect (shell, kubeconfig, tunnel) that takes longer than this is given up and tried again. */
const CONNECT_TIMEOUT_MS = 20_000;
/** Closing a connection whose link is dead must not hold up the next one. */
const CLOSE_TIMEOUT_MS = 5_000;
/** df under disk pressure is asked at most this often. */
const DISK_EVERY_MS = 60_000;

export class LiveHealth {
  readonly #o: Required<Pick<LiveHealthOptions, 'staleAfterMs' | 'throttleMs'>> & LiveHealthOptions;
  readonly #stop = new AbortController();
  #run: Promise<void> | null = null;
  #state: LiveState = 'connecting';
  #snapshot: HealthSnapshot | null = null;
  #lastGoodAt: number | null = null;
  #error: LiveUpdate['error'] = null;
  /** The connection being watched now, and what the snapshot is built from. */
  #box: BoxLink | null = null;
  #dirty = false;
  #timer: NodeJS.Timeout | null = null;
  #lastEmit = 0;
  #connects = 0;
  /** How long the last snapshot took to build from the caches. */
  #buildMs: number | null = null;

  constructor(o: LiveHealthOptions) {
    this.#o = { staleAfterMs: 10_000, throttleMs: 250, ...o };
  }

  start(): void {
    if (this.#run) return;
    // The first update ('connecting') goes out before anything slow (loading client-node, the SSH login) can delay it.
    this.#dirty = true;
    this.#lastEmit = Date.now();
    queueMicrotask(() => this.#emit());
    this.#run = this.#loop();
  }

  current(): LiveUpdate {
    return {
      target: this.#o.target,
      state: this.#state,
      snapshot: this.#snapshot,
      lastGoodAt: this.#lastGoodAt === null ? null : new Date(this.#lastGoodAt).toISOString(),
      error: this.#error,
    };
  }

  /** Counts for diagnostics: connections opened, and the current connection's informer lists, watches and failures. */
  stats(): { connects: number; buildMs: number | null } & Partial<InformerStats> {
    return { connects: this.#connects, buildMs: this.#buildMs, ...this.#box?.stats() };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#run;
  }

  /** Connect, watch until the link is judged dead, back off, again; until stop(). */
  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    // A technician waits at the box: after a cut, try again at least every 10 s.
    const retry = this.#o.retry ?? backoff(500, 10_000);
    let failures = 0;
    while (!signal.aborted) {
      let conn: LiveConnection | null = null;
      let wasLive = false;
      try {
        this.#connects++;
        conn = await this.#connect(signal);
        if (signal.aborted) break;
        wasLive = await this.#watch(conn);
      } catch (err) {
        if (signal.aborted) break;
        this.#setError(liveError(err, this.#o.target));
      } finally {
        if (conn) void closeQuietly(conn, this.#o.log);
      }
      if (signal.aborted) break;
      failures = wasLive ? 1 : failures + 1;
      const wait = retry(failures);
      this.#o.log?.info({ target: this.#o.target, failures, waitMs: wait, code: this.#error?.code }, 'live health: reconnecting');
      await sleep(wait, signal);
    }
  }

  /**
   * The factory's connect, bounded by CONNECT_TIMEOUT_MS and stop(): a connect that ignores its signal
   * (a shell stuck on a dead link) does not hold the loop; if it answers later, that connection is closed.
   */
  async #connect(signal: AbortSignal): Promise<LiveConnection> {
    const bound = AbortSignal.any([signal, AbortSignal.timeout(CONNECT_TIMEOUT_MS)]);
    const pending = this.#o.connect(bound);
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(
          signal.aborted
            ? new FieldlinkError('ABORTED', `Watching ${this.#o.target} was stopped.`)
            : new FieldlinkError('TIMEOUT', `Connecting to ${this.#o.target} took over ${CONNECT_TIMEOUT_MS / 1000} s. Is the box on the network?`),
        );
      if (bound.aborted) onAbort();
      else bound.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } catch (err) {
      void pending.then((c) => closeQuietly(c, this.#o.log)).catch(() => undefined);
      throw err;
    } finally {
      bound.removeEventListener('abort', onAbort);
    }
  }

  /** Runs one connection until its link is judged dead (resolves) or stop(); true when it was live at some point. */
  async #watch(conn: LiveConnection): Promise<boolean> {
    const k8s = await loadClientNode();
    const box = new BoxLink(k8s, conn.session, this.#o, {
      changed: () => this.#changed(),
      error: (e) => this.#setError(e),
      alive: (at) => this.#alive(box, at),
    });
    this.#box = box;
    try {
      return await box.run(this.#stop.signal, this.#o.staleAfterMs);
    } finally {
      this.#box = null;
      if (!this.#stop.signal.aborted && this.#state === 'live') {
        this.#state = 'stale';
        this.#o.log?.warn({ target: this.#o.target, lastGoodAt: this.current().lastGoodAt }, 'live health: link lost, box stale');
      }
      this.#changed();
      await box.stop();
    }
  }

  /** The heartbeat answered (or a watch carried data): live once every informer has listed. */
  #alive(box: BoxLink, at: number): void {
    if (this.#box !== box || !box.synced) return;
    this.#lastGoodAt = at;
    if (this.#state !== 'live') {
      this.#state = 'live';
      this.#error = null;
      this.#changed();
    }
  }

  #setError(e: FieldlinkError): void {
    const next = { code: e.code, message: e.message };
    if (this.#error?.code === next.code && this.#error.message === next.message) return;
    this.#error = next;
    this.#changed();
  }

  /** Something changed: an update goes out now if none went out within throttleMs, else when that time is up (one, with all of it). */
  #changed(): void {
    this.#dirty = true;
    if (this.#timer || this.#stop.signal.aborted) return;
    const wait = Math.max(0, this.#lastEmit + this.#o.throttleMs - Date.now());
    this.#timer = setTimeout(() => this.#emit(), wait);
  }

  #emit(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#dirty || this.#stop.signal.aborted) return;
    this.#dirty = false;
    this.#lastEmit = Date.now();
    const box = this.#box;
    if (box?.synced) {
      const t0 = performance.now();
      this.#snapshot = box.snapshot(this.#o.target);
      this.#buildMs = Math.round((performance.now() - t0) * 10) / 10;
    }
    try {
      this.#o.onUpdate(this.current());
    } catch (err) {
      this.#o.log?.error({ target: this.#o.target, err: (err as Error)?.message }, 'live health: onUpdate threw');
    }
  }
}

interface LinkEvents {
  changed(): void;
  error(e: FieldlinkError): void;
  alive(at: number): void;
}

/** One connection's informers, heartbeat, clock and disk: what a snapshot is built from. */
class BoxLink {
  readonly #s: ApiSession;
  readonly #inf: BoxInformers;
  readonly #ev: LinkEvents;
  readonly #cert: HealthSnapshot['clientCert'];
  #clock: BoxClock | null;
  #disk: HealthSnapshot['disk'] = null;
  #diskAt = 0;
  #lastAlive = Date.now();
  /** This connection was live at some point (the next reconnect starts its backoff afresh). */
  wasLive = false;

  constructor(k8s: typeof import('@kubernetes/client-node'), session: ApiSession, o: LiveHealthOptions, ev: LinkEvents) {
    this.#s = session;
    this.#ev = ev;
    this.#clock = session.clock;
    this.#cert = certInfo(session.kubeconfig.cert);
    this.#inf = new BoxInformers(k8s, session, {
      target: o.target,
      log: o.log,
      metricsEveryMs: o.metricsEveryMs,
      onChange: () => {
        // Every change is the box answering (a list, a watch event, metrics): with all listed, that is live now.
        if (this.synced) this.#aliveNow();
        ev.changed();
      },
      onError: (e) => ev.error(e),
      onActivity: () => (this.#lastAlive = Date.now()),
    });
  }

  get synced(): boolean {
    return this.#inf.synced;
  }

  stats(): InformerStats {
    return this.#inf.stats();
  }

  /** The box answered just now; with every informer listed, the data is live. */
  #aliveNow(): void {
    this.#lastAlive = Date.now();
    if (!this.synced) return;
    this.wasLive = true;
    this.#ev.alive(this.#lastAlive);
  }

  /**
   * Heartbeats until no answer came for half of staleAfterMs, or stop. Worst case from the cut to the
   * stale mark: that half, one heartbeat period (staleAfterMs / 4 at most 3 s) and the throttle: 8 s of 10.
   */
  async run(stop: AbortSignal, staleAfterMs: number): Promise<boolean> {
    this.#inf.start();
    const every = Math.max(200, Math.min(3000, Math.floor(staleAfterMs / 4)));
    const deadAfter = Math.floor(staleAfterMs / 2);
    while (!stop.aborted) {
      const t0 = Date.now();
      if (await this.#beat(Math.min(2500, every), stop)) this.#aliveNow();
      if (Date.now() - this.#lastAlive > deadAfter) break;
      await sleep(Math.max(0, every - (Date.now() - t0)), stop);
    }
    return this.wasLive;
  }

  /** GET /readyz: any HTTP answer proves the link; the Date header gives the box's clock when no command read it. */
  async #beat(timeoutMs: number, stop: AbortSignal): Promise<boolean> {
    const t0 = Date.now();
    try {
      const r = await this.#s.get('/readyz', { signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]), headersTimeoutMs: timeoutMs });
      r.body.resume();
      r.body.on('error', () => undefined);
      const t1 = Date.now();
      const date = Date.parse(String(r.headers.date ?? ''));
      const unc = 500 + Math.ceil((t1 - t0) / 2);
      if (Number.isFinite(date) && (!this.#clock || (this.#clock.uncertaintyMs >= 500 && unc < this.#clock.uncertaintyMs)))
        this.#clock = { boxMs: date + 500, laptopMs: Math.round((t0 + t1) / 2), uncertaintyMs: unc };
      if (r.status === 401 || r.status === 403) this.#ev.error(liveError({ statusCode: r.status }, this.#s.shell.target));
      return true;
    } catch (err) {
      if (!stop.aborted) this.#ev.error(liveError(err, this.#s.shell.target));
      return false;
    }
  }

  snapshot(target: string): HealthSnapshot {
    const snap = this.#inf.snapshot({ target, link: this.#s.shell.kind === 'serial' ? 'serial' : 'ssh', clock: this.#clockOf(), clientCert: this.#cert, disk: this.#disk });
    if (snap.nodes.some((n) => n.pressure.includes('DiskPressure')) && Date.now() - this.#diskAt > DISK_EVERY_MS) {
      this.#diskAt = Date.now();
      // df runs on the box's shell; its answer comes with the next update.
      void diskUse(this.#s.shell).then((d) => {
        this.#disk = d;
        this.#ev.changed();
      });
    }
    return snap;
  }

  #clockOf(): HealthSnapshot['clock'] {
    return this.#clock ? { skewMs: this.#clock.boxMs - this.#clock.laptopMs, uncertaintyMs: this.#clock.uncertaintyMs } : null;
  }

  async stop(): Promise<void> {
    await this.#inf.stop();
  }
}

async function closeQuietly(conn: LiveConnection, log?: Logger): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([conn.close(), new Promise((r) => (t = setTimeout(r, CLOSE_TIMEOUT_MS).unref()))]);
  } catch (err) {
    log?.info({ err: (err as Error)?.message }, 'live health: closing the old connection failed');
  } finally {
    clearTimeout(t);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
