import type { Readable } from 'node:stream';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { ApiSession } from './collect.ts';

/**
 * A Kubernetes watch over an ApiSession, shaped like client-node's Watch so its ListWatch (the
 * informer: list, then watch, relist on 410) runs on it unchanged. Why not client-node's own Watch:
 * it reads lines through readline with no bound (a box sending one endless line would fill the
 * laptop's memory) and opens its own TLS agent; this one shares the session's dispatcher (tunnel, CA,
 * client certificate, server name) and cuts a line over MAX_WATCH_LINE.
 */

/** One watch event line: a pod with a 1 MB annotation is a 1 MB line, so room for a few of those. */
export const MAX_WATCH_LINE = 16 * 1024 * 1024;
/** Status bodies of a refused watch, read for their message only. */
const MAX_STATUS_BYTES = 64 * 1024;

/**
 * What the informer keeps of a watched object; null drops the event (garbage, or not wanted).
 * `emit` hands the informer an extra event first (a cache at its bound lets its oldest entry go).
 */
export type WatchTransform = (type: string, obj: unknown, emit: (type: string, obj: object) => void) => object | null;

export interface WatchRequest {
  abort(): void;
}

/** An error a ListWatch understands: statusCode 410 makes it relist. */
export function statusError(status: number, message: string): Error & { statusCode: number; code: number } {
  const err = new Error(message) as Error & { statusCode: number; code: number };
  err.statusCode = status;
  err.code = status;
  return err;
}

/** Splits a byte stream into lines, each bounded: over `max` bytes without a newline is an error, not a bigger buffer. */
export async function* boundedLines(body: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      parts.push(buf.subarray(0, nl));
      yield Buffer.concat(parts).toString('utf8');
      parts = [];
      size = 0;
      buf = buf.subarray(nl + 1);
    }
    size += buf.byteLength;
    if (size > max) throw new FieldlinkError('PROTOCOL', `The box's k3s API sent a watch line over ${max >> 20} MiB; Fieldlink stopped reading it.`);
    if (buf.byteLength) parts.push(Buffer.from(buf));
  }
  if (size) yield Buffer.concat(parts).toString('utf8');
}

async function readCapped(body: Readable, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    if (size < max) parts.push(c.subarray(0, max - size));
    size += c.byteLength;
    if (size >= max) break;
  }
  body.destroy();
  return Buffer.concat(parts).toString('utf8');
}

export interface BoundedWatchOptions {
  transform: WatchTransform;
  /** Any line read: the link carried something (the heartbeat is the judge; this only helps). */
  onActivity?: () => void;
  /** A watch request goes out (counted for diagnostics). */
  onStart?: () => void;
  /** Watch lifetime asked of the server; client-go picks 5-10 min at random so a fleet does not reconnect at once. */
  timeoutSeconds?: () => number;
  maxLine?: number;
}

export class BoundedWatch {
  readonly #session: ApiSession;
  readonly #o: BoundedWatchOptions;

  constructor(session: ApiSession, o: BoundedWatchOptions) {
    this.#session = session;
    this.#o = o;
  }

  /** As client-node's Watch.watch: `done` is called once when the watch ends by itself (not after abort()). */
  async watch(path: string, query: Record<string, unknown>, callback: (type: string, obj: unknown, raw: unknown) => unknown, done: (err: unknown) => void): Promise<WatchRequest> {
    const ctl = new AbortController();
    this.#o.onStart?.();
    const timeoutS = this.#o.timeoutSeconds?.() ?? 300 + Math.floor(Math.random() * 300);
    const q = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutS) });
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      ctl.abort();
      done(err);
    };
    // A server that keeps the connection but stops sending (and never ends it) is cut after its own timeout, plus margin.
    const idle = setTimeout(() => finish(Object.assign(new Error('watch idle'), { name: 'TimeoutError' })), (timeoutS + 30) * 1000);
    idle.unref();
    const run = async () => {
      const r = await this.#session.get(`${path}?${q}`, { signal: ctl.signal });
      if (r.status !== 200) throw statusError(r.status, statusMessage(await readCapped(r.body, MAX_STATUS_BYTES), r.status));
      for await (const line of boundedLines(r.body as AsyncIterable<Uint8Array>, this.#o.maxLine ?? MAX_WATCH_LINE)) {
        if (finished) break;
        idle.refresh();
        this.#o.onActivity?.();
        const end = this.#line(line, callback);
        if (end) return finish(end);
      }
      finish(null);
    };
    run().catch((err: unknown) => finish(err));
    return {
      abort: () => {
        // The informer asked: it does its own next step, so `done` is not called.
        finished = true;
        clearTimeout(idle);
        ctl.abort();
      },
    };
  }

  /** One event line to the informer; an ERROR event ends the watch (a 410 makes the informer relist). */
  #line(line: string, callback: (type: string, obj: unknown, raw: unknown) => unknown): Error | null {
    if (!line.trim()) return null;
    let ev: { type?: unknown; object?: unknown };
    try {
      ev = JSON.parse(line) as { type?: unknown; object?: unknown };
    } catch {
      // A damaged line is skipped, as client-node does; the next relist repairs the cache.
      return null;
    }
    if (typeof ev?.type !== 'string') return null;
    if (ev.type === 'ERROR') {
      const s = (ev.object ?? {}) as { code?: unknown; message?: unknown };
      const code = typeof s.code === 'number' ? s.code : 500;
      return statusError(code, typeof s.message === 'string' ? s.message.slice(0, 300) : `watch error ${code}`);
    }
    if (ev.type === 'BOOKMARK') {
      const rv = (ev.object as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata?.resourceVersion;
      // The informer only takes the version from a bookmark.
      if (typeof rv === 'string' && rv.length < 64) void Promise.resolve(callback('BOOKMARK', { metadata: { resourceVersion: rv } }, ev)).catch(() => undefined);
      return null;
    }
    // client-node's handler is async: a throw in it would be an unhandled rejection, so every call is caught.
    const give = (type: string, o: object) => void Promise.resolve(callback(type, o, ev)).catch(() => undefined);
    const obj = this.#o.transform(ev.type, ev.object, give);
    if (obj) give(ev.type, obj);
    return null;
  }
}

/** The message of a Kubernetes Status body, bounded; the HTTP status when it is not one. */
export function statusMessage(text: string, status: number): string {
  try {
    const s = JSON.parse(text) as { message?: unknown };
    if (typeof s?.message === 'string') return s.message.slice(0, 300);
  } catch {
    // not a Status: fall through
  }
  return `HTTP ${status}`;
}
