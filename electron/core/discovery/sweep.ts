import net from 'node:net';
import { FieldlinkError } from '../../../shared/errors.ts';
import { safeText } from '../../../shared/text.ts';
import { probeHostKeys } from '../transport/index.ts';
import { sweepAddresses, type SweepRange } from './cidr.ts';

/** SSH, and the Kubernetes API a k3s server listens on. */
export const SWEEP_PORTS = [22, 6443] as const;

export const SWEEP_DEFAULTS = {
  /** Addresses knocked on at once. */
  concurrency: 64,
  /** New TCP connections per second, at most (both ports count). */
  ratePerSecond: 1000,
  /** How long a connect may take before the address counts as silent, until the LAN's pace is known. */
  timeoutMs: 1000,
  /**
   * Once addresses have answered (a connect or a refusal), silent ones are given up after 8 times the
   * slowest answer seen, but never sooner than this: a box on the LAN answers in a few ms.
   */
  minTimeoutMs: 300,
  /** How long an open port 22 may take to say its identification line. */
  bannerTimeoutMs: 2000,
  /** Host-key probes (SSH handshakes stopped at the key) at once. */
  probeConcurrency: 16,
  probeTimeoutMs: 5000,
};

/** RFC 4253: the identification line is at most 255 characters with its CR LF; we read no more. */
export const MAX_BANNER_BYTES = 255;

export interface SweptHost {
  address: string;
  /** Ports that accepted the connection. */
  open: number[];
  /** The first line port 22 said (sanitised text), or null. */
  banner: string | null;
  /** The host keys port 22 offered, fetched without authenticating; empty when the probe failed. */
  hostKeys: Array<{ keyType: string; fingerprint: string }>;
  /** Why the host keys could not be read, when they could not. */
  probeError: string | null;
}

export interface SweepProgress {
  /** Addresses whose every port has answered or timed out. */
  done: number;
  total: number;
  /** Addresses with at least one open port so far. */
  open: number;
}

export interface SweepOptions {
  ports?: readonly number[];
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
  minTimeoutMs?: number;
  bannerTimeoutMs?: number;
  probeConcurrency?: number;
  probeTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** Each host with an open port, once its keys are read; awaited before the sweep resolves. */
  onHost?: (h: SweptHost) => void | Promise<void>;
  /** Tests replace the key probe. */
  probe?: typeof probeHostKeys;
}

export interface SweepScan {
  range: SweepRange;
  hosts: SweptHost[];
  elapsedMs: number;
}

/**
 * An opt-in subnet sweep: a TCP connect to 22 and 6443 on every address of an already checked range
 * (checkSweepRange), with bounded concurrency and a rate limit, the SSH identification line read
 * from port 22 (first line, 255 bytes at most) and the host keys fetched without logging in. Nothing
 * else is sent. Cancelled through the signal: every socket is closed at once.
 */
export async function sweep(range: SweepRange, o: SweepOptions = {}): Promise<SweepScan> {
  const started = performance.now();
  const ports = o.ports ?? SWEEP_PORTS;
  /** The first port is SSH (22; tests use their own). */
  const sshPort = ports[0]!;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? SWEEP_DEFAULTS.concurrency, 1024));
  const timeoutMs = o.timeoutMs ?? SWEEP_DEFAULTS.timeoutMs;
  const minTimeoutMs = Math.min(timeoutMs, o.minTimeoutMs ?? SWEEP_DEFAULTS.minTimeoutMs);
  // Adaptive, as nmap's timing is: the slowest answer so far sets how long silence is waited for.
  let slowestAnswerMs = -1;
  const currentTimeout = () => (slowestAnswerMs < 0 ? timeoutMs : Math.min(timeoutMs, Math.max(minTimeoutMs, slowestAnswerMs * 8)));
  const bannerTimeoutMs = o.bannerTimeoutMs ?? SWEEP_DEFAULTS.bannerTimeoutMs;
  const probe = o.probe ?? probeHostKeys;
  const probeSlots = new Slots(o.probeConcurrency ?? SWEEP_DEFAULTS.probeConcurrency);
  const rate = new RateLimit(o.ratePerSecond ?? SWEEP_DEFAULTS.ratePerSecond);
  const signal = o.signal ?? new AbortController().signal;
  const aborted = () => (signal.reason instanceof FieldlinkError ? signal.reason : new FieldlinkError('ABORTED', 'The sweep was cancelled.'));
  if (signal.aborted) throw aborted();

  const hosts: SweptHost[] = [];
  const pending: Promise<void>[] = [];
  const progress: SweepProgress = { done: 0, total: range.count, open: 0 };
  const addresses = sweepAddresses(range);

  const worker = async () => {
    for (let next = addresses.next(); !next.done; next = addresses.next()) {
      if (signal.aborted) return;
      const address = next.value;
      const answers = await Promise.all(
        ports.map(async (port) => {
          await rate.take(signal);
          return knock(address, port, { timeoutMs: currentTimeout(), bannerTimeoutMs: port === sshPort ? bannerTimeoutMs : 0, signal });
        }),
      );
      for (const a of answers) if (a.answeredMs !== null) slowestAnswerMs = Math.max(slowestAnswerMs, a.answeredMs);
      if (signal.aborted) return;
      progress.done++;
      const open = ports.filter((_, i) => answers[i]!.open);
      if (open.length) {
        progress.open++;
        const banner = answers[0]!.banner;
        pending.push(identify(address, open, banner));
      }
      o.onProgress?.({ ...progress });
    }
  };

  const identify = async (address: string, open: number[], banner: string | null): Promise<void> => {
    const host: SweptHost = { address, open, banner, hostKeys: [], probeError: null };
    // Something that says SSH on 22 gets its keys read; anything else there is left alone.
    if (open.includes(sshPort) && banner?.startsWith('SSH-')) {
      await probeSlots.run(async () => {
        if (signal.aborted) return;
        try {
          host.hostKeys = await probe(address, sshPort, { signal, timeoutMs: o.probeTimeoutMs ?? SWEEP_DEFAULTS.probeTimeoutMs });
        } catch (err) {
          host.probeError = err instanceof FieldlinkError ? err.message : 'the host key probe failed';
        }
      });
    } else if (open.includes(sshPort)) {
      host.probeError = banner === null ? `port ${sshPort} is open but said nothing` : `port ${sshPort} does not speak SSH`;
    }
    if (signal.aborted) return;
    hosts.push(host);
    await o.onHost?.(host);
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, range.count) }, worker));
  // Identification may still be running for the last open hosts; a failure of one never ends the sweep.
  await Promise.allSettled(pending);
  if (signal.aborted) throw aborted();
  hosts.sort((a, b) => ipOrder(a.address) - ipOrder(b.address));
  return { range, hosts, elapsedMs: performance.now() - started };
}

const ipOrder = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);

interface Knock {
  open: boolean;
  banner: string | null;
  /** How long the address took to answer (connected or refused), or null when it stayed silent. */
  answeredMs: number | null;
}

/**
 * One TCP connect; with a banner timeout (port 22), the first line the server says. Resolves (never
 * rejects) when done, timed out or cancelled.
 */
export function knock(host: string, port: number, o: { timeoutMs: number; bannerTimeoutMs: number; signal: AbortSignal }): Promise<Knock> {
  return new Promise((resolve) => {
    if (o.signal.aborted) return resolve({ open: false, banner: null, answeredMs: null });
    const t0 = performance.now();
    let answeredMs: number | null = null;
    let open = false;
    let settled = false;
    let buf = Buffer.alloc(0);
    const sock = net.connect({ host, port, noDelay: true });
    const finish = (banner: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve({ open, banner, answeredMs });
    };
    const onAbort = () => finish(null);
    let timer = setTimeout(() => finish(null), o.timeoutMs);
    o.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && answeredMs === null) answeredMs = performance.now() - t0;
      finish(null);
    });
    sock.on('connect', () => {
      open = true;
      answeredMs = performance.now() - t0;
      if (!o.bannerTimeoutMs) return finish(null);
      clearTimeout(timer);
      timer = setTimeout(() => finish(buf.length ? bannerOf(buf) : null), o.bannerTimeoutMs);
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]).subarray(0, MAX_BANNER_BYTES);
      const nl = buf.indexOf(0x0a);
      if (nl >= 0) finish(bannerOf(buf.subarray(0, nl)));
      else if (buf.length >= MAX_BANNER_BYTES) finish(bannerOf(buf));
    });
    sock.on('end', () => finish(buf.length ? bannerOf(buf) : null));
  });
}

function bannerOf(b: Buffer): string {
  return safeText(b.toString('latin1').replace(/\r$/, ''), MAX_BANNER_BYTES);
}

/** At most `n` at once. */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Spaces new connections evenly: at most `perSecond`, never a burst. */
class RateLimit {
  readonly #gapMs: number;
  #next = 0;
  constructor(perSecond: number) {
    this.#gapMs = 1000 / Math.max(1, perSecond);
  }
  take(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#gapMs;
    const wait = at - now;
    if (wait < 1) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, wait);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
