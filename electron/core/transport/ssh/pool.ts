import type { Duplex } from 'node:stream';
import { FieldlinkError } from '../../../../shared/errors.ts';
import type { Logger } from '../../log/index.ts';
import type { ExecOptions, ExecResult, Shell, TransferOptions } from '../shell.ts';
import { connectSsh, type ConnectSshOptions } from './connect.ts';
import type { HostKeyCheck } from './hostkey.ts';
import { connectResolved, type ResolvedSsh } from './jump.ts';
import type { SshShell, Terminal } from './sshshell.ts';

/** How to reach one box; `trust` is a function so each reconnect sees pins added since (e.g. first use). */
export interface SshTargetOptions extends Omit<ConnectSshOptions, 'signal' | 'trust'> {
  trust: HostKeyCheck | (() => HostKeyCheck);
  /** ProxyJump hops (from resolveSsh), opened before the target on every (re)connect. */
  jumps?: ResolvedSsh['jumps'];
}

export interface SshPoolOptions {
  /** Close a connection nobody used for this long. Default 5 min. */
  idleMs?: number;
  /** Reconnect backoff: first delay, cap, and how many attempts per call. Defaults 250 ms, 8 s, 5. */
  backoff?: { initialMs?: number; maxMs?: number; attempts?: number };
  log?: Logger;
}

interface Entry {
  shell?: SshShell;
  connecting?: Promise<SshShell>;
  busy: number;
  lastUsed: number;
}

// A refused key or login will be refused again: retrying only delays the message the technician needs.
const FINAL = new Set(['HOST_KEY_CHANGED', 'HOST_KEY_UNKNOWN', 'AUTH_FAILED', 'ABORTED', 'BAD_REQUEST', 'INTERNAL']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new FieldlinkError('ABORTED', 'Reconnecting was cancelled.'));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });

export function poolKey(t: { host: string; port?: number; user?: string }): string {
  return `${t.user ?? 'root'}@${t.host}:${t.port ?? 22}`;
}

/**
 * One SSH connection per box, reused by every call; a dropped link is reopened on the next call
 * with exponential backoff (with jitter), and idle links are closed.
 */
export class SshPool {
  readonly #entries = new Map<string, Entry>();
  readonly #idleMs: number;
  readonly #initial: number;
  readonly #max: number;
  readonly #attempts: number;
  readonly #log: Logger | undefined;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(opts: SshPoolOptions = {}) {
    this.#idleMs = opts.idleMs ?? 5 * 60_000;
    this.#initial = opts.backoff?.initialMs ?? 250;
    this.#max = opts.backoff?.maxMs ?? 8000;
    this.#attempts = Math.max(1, opts.backoff?.attempts ?? 5);
    this.#log = opts.log;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.#idleMs, 30_000));
    this.#sweeper.unref();
  }

  /** A live connection to the target, opening or reopening it as needed. */
  async get(target: SshTargetOptions, opts: { signal?: AbortSignal } = {}): Promise<SshShell> {
    if (this.#closed) throw new FieldlinkError('CONFLICT', 'The SSH pool is closed.');
    const key = poolKey(target);
    let e = this.#entries.get(key);
    if (!e) {
      e = { busy: 0, lastUsed: Date.now() };
      this.#entries.set(key, e);
    }
    e.lastUsed = Date.now();
    if (e.shell?.alive) return e.shell;
    if (!e.connecting) {
      const entry = e;
      entry.connecting = this.#connectWithBackoff(target, opts.signal).then(
        (shell) => {
          entry.shell = shell;
          entry.connecting = undefined;
          shell.onDrop(() => {
            if (entry.shell === shell) entry.shell = undefined;
          });
          return shell;
        },
        (err) => {
          entry.connecting = undefined;
          throw err;
        },
      );
    }
    return e.connecting!;
  }

  /** Hold a connection open (e.g. a tunnel) so the idle sweep leaves it alone until release(). */
  async acquire(target: SshTargetOptions, opts: { signal?: AbortSignal } = {}): Promise<{ shell: SshShell; release: () => void }> {
    const shell = await this.get(target, opts);
    const e = this.#entries.get(poolKey(target))!;
    e.busy++;
    let done = false;
    return {
      shell,
      release: () => {
        if (done) return;
        done = true;
        e.busy--;
        e.lastUsed = Date.now();
      },
    };
  }

  /** A Shell for the target whose every call runs on the pooled connection. close() leaves the connection to the pool. */
  shell(target: SshTargetOptions): Shell & { forwardOut(h: string, p: number): Promise<Duplex>; openTerminal(s: { cols: number; rows: number }): Promise<Terminal> } {
    const use = async <T>(signal: AbortSignal | undefined, fn: (s: SshShell) => Promise<T>): Promise<T> => {
      const { shell, release } = await this.acquire(target, { signal });
      try {
        return await fn(shell);
      } finally {
        release();
      }
    };
    return {
      kind: 'ssh',
      target: poolKey(target),
      exec: (command: string, opts?: ExecOptions): Promise<ExecResult> => use(opts?.signal, (s) => s.exec(command, opts)),
      put: (path: string, data: Uint8Array, mode?: number, opts?: TransferOptions) => use(opts?.signal, (s) => s.put(path, data, mode, opts)),
      get: (path: string, opts?: TransferOptions) => use(opts?.signal, (s) => s.get(path, opts)),
      forwardOut: (h: string, p: number) => use(undefined, (s) => s.forwardOut(h, p)),
      openTerminal: (size: { cols: number; rows: number }) => use(undefined, (s) => s.openTerminal(size)),
      close: async () => undefined,
    };
  }

  async #connectWithBackoff(target: SshTargetOptions, signal?: AbortSignal): Promise<SshShell> {
    let delay = this.#initial;
    let last: unknown;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      try {
        const { jumps, ...rest } = target;
        const trust = typeof rest.trust === 'function' ? rest.trust() : rest.trust;
        const opts = { ...rest, trust, log: rest.log ?? this.#log };
        return jumps?.length ? await connectResolved({ target: opts, jumps }, signal) : await connectSsh({ ...opts, signal });
      } catch (err) {
        last = err;
        const code = err instanceof FieldlinkError ? err.code : 'INTERNAL';
        if (FINAL.has(code) || attempt === this.#attempts || this.#closed) break;
        this.#log?.info({ target: poolKey(target), attempt, code, retryInMs: delay }, 'ssh reconnect');
        await sleep(delay * (0.75 + Math.random() * 0.5), signal);
        delay = Math.min(this.#max, delay * 2);
      }
    }
    throw last;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, e] of this.#entries) {
      if (e.busy === 0 && !e.connecting && now - e.lastUsed > this.#idleMs) {
        this.#entries.delete(key);
        void e.shell?.close();
      }
    }
  }

  /** How many live connections the pool holds (for status and tests). */
  get size(): number {
    return [...this.#entries.values()].filter((e) => e.shell?.alive).length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map(async (e) => (e.shell ?? (await e.connecting?.catch(() => undefined)))?.close()));
  }
}
