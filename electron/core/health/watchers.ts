import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError, toApiError } from '../../../shared/errors.ts';
import type { HealthView } from '../../../shared/health.ts';
import type { HealthWord } from '../../../shared/model.ts';
import type { Logger } from '../log/index.ts';
import type { Shell } from '../transport/index.ts';
import { ApiSession, healthOverShell, keptCredentials } from './collect.ts';
import { LiveHealth, type LiveConnection, type LiveUpdate } from './live.ts';
import type { HealthSnapshot } from './model.ts';
import { podLogs, savePodLog } from './podlogs.ts';
import type { SnapshotStore } from './snapshots.ts';
import { canForward } from './tunnel.ts';

/** How long a model outlives its last watcher: switching tabs and back must not reconnect. */
const LINGER_MS = 15_000;
/** A live model is written to disk at most this often (and when it goes stale or stops). */
const SAVE_EVERY_MS = 30_000;
/** Over the serial console a snapshot is read again this long after the last one ended (a read costs seconds of a shared cable). */
const SERIAL_EVERY_MS = 60_000;
const SERIAL_RETRY_MS = 5_000;
/** Pod logs followed at once, across all boxes. */
const MAX_FOLLOWS = 8;
/** The text a non-follow pod log call answers with, at most (the newest part is kept). */
const MAX_LOG_TEXT = 4 * 1024 * 1024;

export interface WatcherDeps {
  /** A shell on the box, strict trust: an unknown key is never accepted by a health watch. */
  shell(boxId: string, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<Shell>;
  inventory: { get(id: string): { hostname: string; health: HealthWord } | undefined; setHealth(id: string, h: HealthWord): void };
  secrets: Parameters<typeof keptCredentials>[0];
  store: SnapshotStore;
  emit(view: HealthView): void;
  emitLog(e: { streamId: string; data: string; ended: boolean; error: string | null }): void;
  /** Where saved pod logs go. */
  dataDir: string;
  log?: Logger;
}

interface Watch {
  boxId: string;
  refs: number;
  view: HealthView;
  abort: AbortController;
  live: LiveHealth | null;
  linger: NodeJS.Timeout | null;
  savedAt: number;
}

/** The health word a Fleet row shows, from a snapshot's diagnosis. */
export function healthWordOf(s: Pick<HealthSnapshot, 'diagnosis' | 'nodes'>): HealthWord {
  if (s.nodes.length === 0 || s.diagnosis.some((d) => d.code === 'NODE_NOT_READY')) return 'down';
  return s.diagnosis.some((d) => d.severity !== 'info') ? 'attention' : 'healthy';
}

const briefError = (err: unknown) => {
  const e = toApiError(err);
  return { code: e.code, message: e.message };
};

/**
 * The health of the boxes someone is looking at: one live model per box however many watch it,
 * over SSH (LiveHealth: informers through a tunnel) or, when only the cable reaches the box, a
 * snapshot read over the serial console every minute. Every model is kept on disk now and then, so
 * a box that cannot be reached still shows what was last seen, and how long ago.
 */
export class HealthWatchers {
  readonly #deps: WatcherDeps;
  readonly #watches = new Map<string, Watch>();
  readonly #follows = new Map<string, AbortController>();

  constructor(deps: WatcherDeps) {
    this.#deps = deps;
  }

  async watch(boxId: string): Promise<HealthView> {
    const w = this.#watches.get(boxId);
    if (w) {
      w.refs++;
      if (w.linger) clearTimeout(w.linger);
      w.linger = null;
      return w.view;
    }
    const kept = await this.#kept(boxId);
    const started: Watch = {
      boxId,
      refs: 1,
      view: { boxId, state: kept ? 'snapshot' : 'connecting', snapshot: kept, lastGoodAt: kept?.takenAt ?? null, error: null },
      abort: new AbortController(),
      live: null,
      linger: null,
      savedAt: 0,
    };
    // A second watch that raced this one's disk read joins it instead of starting another model.
    const raced = this.#watches.get(boxId);
    if (raced) {
      raced.refs++;
      return raced.view;
    }
    this.#watches.set(boxId, started);
    void this.#start(started);
    return started.view;
  }

  unwatch(boxId: string): void {
    const w = this.#watches.get(boxId);
    if (!w || --w.refs > 0) return;
    w.linger = setTimeout(() => void this.#stop(w), LINGER_MS);
    w.linger.unref();
  }

  /** The current view: live when watched, else the snapshot kept on disk. */
  async get(boxId: string): Promise<HealthView> {
    const w = this.#watches.get(boxId);
    if (w) return w.view;
    const kept = await this.#kept(boxId);
    return { boxId, state: kept ? 'snapshot' : 'none', snapshot: kept, lastGoodAt: kept?.takenAt ?? null, error: null };
  }

  async #kept(boxId: string): Promise<HealthSnapshot | null> {
    if (!this.#deps.inventory.get(boxId)) throw new FieldlinkError('NOT_FOUND', `No box "${boxId.slice(0, 80)}" in the inventory.`);
    return this.#deps.store.load(boxId);
  }

  async #start(w: Watch): Promise<void> {
    const { signal } = w.abort;
    let first: Shell | null;
    try {
      first = await this.#deps.shell(w.boxId, { signal, timeoutMs: 15_000 });
    } catch (err) {
      if (signal.aborted) return;
      // No link at all (no key, unknown host key, box off): the kept snapshot stays, with why.
      this.#set(w, { ...w.view, state: w.view.snapshot ? 'snapshot' : 'none', error: briefError(err) });
      return;
    }
    if (signal.aborted) return void first.close();
    if (!canForward(first)) return this.#overSerial(w, first);
    const connect = async (sig: AbortSignal): Promise<LiveConnection> => {
      const shell = first ?? (await this.#deps.shell(w.boxId, { signal: sig, timeoutMs: 15_000 }));
      first = null;
      if (!canForward(shell)) {
        await shell.close();
        throw new FieldlinkError('LINK_DOWN', 'The box is reachable only over its cable now.');
      }
      try {
        const session = await ApiSession.open(shell, { signal: sig, credentials: keptCredentials(this.#deps.secrets, shell.target, this.#deps.log), log: this.#deps.log });
        return { session, close: async () => (await session.close(), await shell.close()) };
      } catch (err) {
        await shell.close();
        throw err;
      }
    };
    const name = this.#deps.inventory.get(w.boxId)?.hostname ?? w.boxId;
    w.live = new LiveHealth({ target: name, connect, onUpdate: (u) => this.#onLive(w, u), log: this.#deps.log });
    w.live.start();
  }

  #onLive(w: Watch, u: LiveUpdate): void {
    if (w.abort.signal.aborted) return;
    const snapshot = u.snapshot ?? w.view.snapshot;
    const state = u.snapshot ? u.state : w.view.snapshot ? 'snapshot' : 'connecting';
    this.#set(w, { boxId: w.boxId, state, snapshot, lastGoodAt: u.snapshot ? u.lastGoodAt : w.view.lastGoodAt, error: u.error });
    if (!u.snapshot) return;
    if (u.state === 'live') this.#word(w.boxId, u.snapshot);
    if (u.state === 'stale' || Date.now() - w.savedAt > SAVE_EVERY_MS) void this.#save(w);
  }

  /** Only the cable reaches the box: `k3s kubectl … -o json` over the console, once a minute while watched. */
  async #overSerial(w: Watch, shell: Shell): Promise<void> {
    const { signal } = w.abort;
    let sh: Shell | null = shell;
    let failures = 0;
    while (!signal.aborted) {
      try {
        sh ??= await this.#deps.shell(w.boxId, { signal, timeoutMs: 30_000 });
        const snap = await healthOverShell(sh, { signal, target: this.#deps.inventory.get(w.boxId)?.hostname, log: this.#deps.log });
        this.#set(w, { boxId: w.boxId, state: 'live', snapshot: snap, lastGoodAt: snap.takenAt, error: null });
        this.#word(w.boxId, snap);
        void this.#save(w);
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures += 1;
        this.#set(w, { ...w.view, state: w.view.snapshot ? 'stale' : 'none', error: briefError(err) });
      } finally {
        // The console is shared with the Console view: it is let go between reads.
        await sh?.close().catch(() => undefined);
        sh = null;
      }
      await new Promise<void>((r) => {
        // A failed read (the console still busy, a login that timed out) is tried again soon, then less often.
        const t = setTimeout(r, failures ? Math.min(SERIAL_EVERY_MS, SERIAL_RETRY_MS * 2 ** (failures - 1)) : SERIAL_EVERY_MS);
        signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    }
  }

  /** A snapshot read elsewhere (`fieldlink health`): kept as the box's last, and its health word recorded. */
  async record(boxId: string, snap: HealthSnapshot): Promise<void> {
    if (!this.#deps.inventory.get(boxId)) return;
    this.#word(boxId, snap);
    await this.#deps.store.save(boxId, snap);
  }

  #set(w: Watch, view: HealthView): void {
    w.view = view;
    this.#deps.emit(view);
  }

  #word(boxId: string, snap: HealthSnapshot): void {
    const word = healthWordOf(snap);
    if (this.#deps.inventory.get(boxId)?.health !== word) this.#deps.inventory.setHealth(boxId, word);
  }

  #save(w: Watch): Promise<void> {
    const snap = w.view.snapshot;
    if (!snap) return Promise.resolve();
    w.savedAt = Date.now();
    return this.#deps.store
      .save(w.boxId, snap)
      .catch((err: unknown) => this.#deps.log?.warn({ err: (err as Error)?.message, boxId: w.boxId }, 'the health snapshot could not be kept'));
  }

  async #stop(w: Watch): Promise<void> {
    if (this.#watches.get(w.boxId) === w) this.#watches.delete(w.boxId);
    w.abort.abort();
    if (w.linger) clearTimeout(w.linger);
    await w.live?.stop();
    // The last live picture is what the next start shows until the box answers again.
    if (w.view.state === 'live' || w.view.state === 'stale') await this.#save(w);
  }

  // ---- pod logs ----

  async #session<T>(boxId: string, signal: AbortSignal | undefined, fn: (s: ApiSession) => Promise<T>): Promise<T> {
    const shell = await this.#deps.shell(boxId, { signal, timeoutMs: 15_000 });
    try {
      if (!canForward(shell)) throw new FieldlinkError('LINK_DOWN', "Pod logs come through the box's API, over the LAN: the box is reachable only over its cable now.");
      const session = await ApiSession.open(shell, { signal, credentials: keptCredentials(this.#deps.secrets, shell.target, this.#deps.log), log: this.#deps.log });
      try {
        return await fn(session);
      } finally {
        await session.close();
      }
    } finally {
      await shell.close();
    }
  }

  /** The last `tailLines` of a pod's log, newest kept within MAX_LOG_TEXT. */
  async podLog(q: PodLogQuery): Promise<{ text: string; truncated: boolean }> {
    let text = '';
    let truncated = false;
    await this.#session(q.boxId, AbortSignal.timeout(60_000), (session) =>
      podLogs(session, {
        ...q,
        follow: false,
        onText: (chunk) => {
          text += chunk;
          if (text.length > MAX_LOG_TEXT) {
            text = text.slice(text.length - MAX_LOG_TEXT);
            truncated = true;
          }
        },
      }),
    );
    return { text, truncated };
  }

  /** Follows a pod's log: health.podLog events until stopped, the pod ends or the link drops. */
  follow(q: PodLogQuery): string {
    if (this.#follows.size >= MAX_FOLLOWS) throw new FieldlinkError('CONFLICT', `${MAX_FOLLOWS} pod logs are followed already: stop one first.`);
    const streamId = randomUUID();
    const abort = new AbortController();
    this.#follows.set(streamId, abort);
    const done = (error: string | null) => {
      this.#follows.delete(streamId);
      this.#deps.emitLog({ streamId, data: '', ended: true, error });
    };
    this.#session(q.boxId, abort.signal, (session) =>
      podLogs(session, { ...q, follow: true, signal: abort.signal, onText: (data) => this.#deps.emitLog({ streamId, data, ended: false, error: null }) }),
    ).then(
      () => done(null),
      (err: unknown) => done(abort.signal.aborted ? null : briefError(err).message),
    );
    return streamId;
  }

  stopFollow(streamId: string): void {
    this.#follows.get(streamId)?.abort();
  }

  /** Saves a pod's log in the data folder's pod-logs/, named for the box, pod and time. */
  async savePodLog(q: PodLogQuery): Promise<{ path: string; bytes: number }> {
    const dir = path.join(this.#deps.dataDir, 'pod-logs');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(dir, `${safe(q.boxId)}_${safe(q.namespace)}_${safe(q.pod)}${q.container ? `_${safe(q.container)}` : ''}${q.previous ? '_previous' : ''}_${stamp}.log`);
    const saved = await this.#session(q.boxId, AbortSignal.timeout(10 * 60_000), (session) => savePodLog(session, { ...q, follow: false, file }));
    return { path: saved.file, bytes: saved.bytes };
  }

  async closeAll(): Promise<void> {
    for (const a of this.#follows.values()) a.abort();
    await Promise.all([...this.#watches.values()].map((w) => this.#stop(w)));
  }
}

export interface PodLogQuery {
  boxId: string;
  namespace: string;
  pod: string;
  container?: string;
  previous: boolean;
  tailLines: number;
}
