import fs from 'node:fs/promises';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { ApiSession } from './collect.ts';
import { statusMessage } from './watch.ts';

/**
 * A pod's log through the box's API (GET …/pods/NAME/log on the tunnel): tail, since, previous
 * container, follow (streamed as it comes). Bounded: a line is cut at MAX_LOG_LINE bytes with a
 * marker and the rest of it skipped, so a 1 GB line without a newline costs 64 KiB.
 *
 * The text is passed on as the box sent it, terminal escapes included: a log is shown by the log
 * view (or printed by the CLI), which neutralises escapes where it renders (shared/text.ts's
 * sanitiser outside a terminal view). Nothing here interprets it.
 */

/** Longest log line kept; the rest of that line is dropped and marked. */
export const MAX_LOG_LINE = 64 * 1024;
export const CUT_MARKER = ' … [line cut by Fieldlink at 64 KiB]';
/** A partial line (no newline yet: a progress bar) is passed on after this long, so a follow never looks stuck. */
const PARTIAL_FLUSH_MS = 250;
const MAX_ERROR_BYTES = 64 * 1024;
/** Kubernetes object names (DNS-1123 subdomain); anything else is refused before it goes in a URL. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface PodLogOptions {
  namespace: string;
  pod: string;
  /** Needed when the pod has more than one container (the box says which it has). */
  container?: string;
  /** The last terminated instance (what a crash-looping container said before it died). */
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** Stream new lines as they are written, until the container ends, the signal aborts or the link drops. */
  follow?: boolean;
  timestamps?: boolean;
  /** Aborting ends the log normally (podLogs resolves): it is how a follow is stopped. */
  signal?: AbortSignal;
  onText(chunk: string): void;
}

/** Splits bytes into lines, cutting each at `max` bytes (on a UTF-8 boundary) and skipping the rest of that line. */
export class LineCapper {
  readonly #max: number;
  #parts: Buffer[] = [];
  /** Bytes of the current line kept so far (including parts already flushed as partial). */
  #kept = 0;
  #cut = false;

  constructor(max = MAX_LOG_LINE) {
    this.#max = max;
  }

  /** Complete lines in `chunk` (and the current line cut, if it went over), as text. */
  push(chunk: Uint8Array): string {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: string[] = [];
    for (;;) {
      const nl = buf.indexOf(0x0a);
      const piece = nl >= 0 ? buf.subarray(0, nl + 1) : buf;
      out.push(this.#take(piece, nl >= 0));
      if (nl < 0) break;
      buf = buf.subarray(nl + 1);
    }
    return out.join('');
  }

  #take(piece: Buffer, ends: boolean): string {
    let text = '';
    if (!this.#cut) {
      const room = this.#max - this.#kept;
      if (piece.length <= room) {
        if (!ends) {
          this.#parts.push(Buffer.from(piece));
          this.#kept += piece.length;
          return '';
        }
        text = this.#drain(piece);
      } else {
        text = `${this.#drain(piece.subarray(0, utf8Boundary(piece, room)))}${CUT_MARKER}${ends ? '\n' : ''}`;
        this.#cut = !ends;
      }
    } else if (ends) {
      text = '\n';
    }
    if (ends) {
      this.#kept = 0;
      this.#cut = false;
    }
    return text;
  }

  #drain(tail: Buffer): string {
    const s = Buffer.concat([...this.#parts, tail]).toString('utf8');
    this.#parts = [];
    return s;
  }

  /** The current line so far, passed on early (it goes on counting toward the line's bound). */
  flushPartial(): string {
    if (!this.#parts.length) return '';
    const all = Buffer.concat(this.#parts);
    const at = utf8Boundary(all, all.length);
    this.#parts = at < all.length ? [Buffer.from(all.subarray(at))] : [];
    return all.subarray(0, at).toString('utf8');
  }

  end(): string {
    const s = this.#parts.length ? Buffer.concat(this.#parts).toString('utf8') : '';
    this.#parts = [];
    return s;
  }
}

/** The largest cut at or below `n` that does not split a UTF-8 sequence. */
function utf8Boundary(b: Buffer, n: number): number {
  let i = Math.min(n, b.length);
  if (i === b.length) {
    // Whole buffer: back off only over an unfinished sequence at its end.
    let j = i - 1;
    while (j >= 0 && j > i - 4 && (b[j]! & 0xc0) === 0x80) j--;
    if (j < 0) return i;
    const lead = b[j]!;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return i - j < need ? j : i;
  }
  while (i > 0 && (b[i]! & 0xc0) === 0x80) i--;
  return i;
}

function logPath(o: Omit<PodLogOptions, 'onText'>): string {
  for (const [what, v] of [
    ['namespace', o.namespace],
    ['pod', o.pod],
    ['container', o.container],
  ] as const) {
    if (v !== undefined && !NAME.test(v)) throw new FieldlinkError('BAD_REQUEST', `That ${what} name is not a Kubernetes name: ${JSON.stringify(v.slice(0, 80))}.`);
  }
  const q = new URLSearchParams();
  if (o.container) q.set('container', o.container);
  if (o.follow) q.set('follow', 'true');
  if (o.previous) q.set('previous', 'true');
  if (o.timestamps) q.set('timestamps', 'true');
  const int = (v: number | undefined, what: string) => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || v < 0) throw new FieldlinkError('BAD_REQUEST', `${what} must be a whole number of 0 or more.`);
    return String(v);
  };
  const tail = int(o.tailLines, 'tailLines');
  const since = int(o.sinceSeconds, 'sinceSeconds');
  if (tail !== undefined) q.set('tailLines', tail);
  if (since !== undefined && o.sinceSeconds! > 0) q.set('sinceSeconds', since);
  const qs = q.toString();
  return `/api/v1/namespaces/${o.namespace}/pods/${o.pod}/log${qs ? `?${qs}` : ''}`;
}

/** A refusal of the log endpoint in words with a next step (the box's own message is kept, bounded: it names the containers). */
function logError(status: number, message: string, o: Omit<PodLogOptions, 'onText'>, target: string): FieldlinkError {
  const pod = `${o.namespace}/${o.pod}`;
  if (status === 404) return new FieldlinkError('NOT_FOUND', `There is no pod ${pod} on ${target} (${message}). It may have been replaced: list the pods again.`, { pod });
  if (status === 400) return new FieldlinkError('BAD_REQUEST', `The box will not give that log of ${pod}: ${message}.`, { pod });
  if (status === 401 || status === 403)
    return new FieldlinkError('AUTH_FAILED', `The k3s API on ${target} refused the log of ${pod} (HTTP ${status}). Restart k3s on the box to renew its certificates.`, { pod });
  return new FieldlinkError('REMOTE_FAILED', `The k3s API on ${target} answered HTTP ${status} for the log of ${pod}: ${message}.`, { pod, status });
}

/** Streams a pod's log to `sink` (awaited: a slow sink slows the read, nothing piles up). */
async function streamLog(session: ApiSession, o: Omit<PodLogOptions, 'onText'>, sink: (text: string) => void | Promise<void>): Promise<void> {
  const url = logPath(o);
  if (o.signal?.aborted) return;
  const target = session.shell.target;
  let r: Awaited<ReturnType<ApiSession['get']>>;
  try {
    r = await session.get(url, { signal: o.signal });
  } catch (err) {
    if (o.signal?.aborted) return;
    throw new FieldlinkError('LINK_DOWN', `Could not read the log of ${o.namespace}/${o.pod} on ${target}: ${(err as Error).message}.`, undefined, { cause: err });
  }
  if (r.status !== 200) {
    const text = await readSome(r.body, MAX_ERROR_BYTES);
    throw logError(r.status, statusMessage(text, r.status), o, target);
  }
  const lines = new LineCapper();
  let partial: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  const flushSoon = () => {
    if (partial) clearTimeout(partial);
    partial = setTimeout(() => {
      const s = lines.flushPartial();
      if (s) flushing = flushing.then(() => sink(s));
    }, PARTIAL_FLUSH_MS);
    partial.unref();
  };
  try {
    for await (const chunk of r.body as AsyncIterable<Uint8Array>) {
      const s = lines.push(chunk);
      await flushing;
      if (s) await sink(s);
      flushSoon();
    }
    if (partial) clearTimeout(partial);
    await flushing;
    const rest = lines.end();
    if (rest) await sink(rest);
  } catch (err) {
    if (err instanceof FieldlinkError) throw err;
    if (o.signal?.aborted) return;
    throw new FieldlinkError('LINK_DOWN', `The log of ${o.namespace}/${o.pod} on ${target} stopped: ${(err as Error).message}.`, undefined, { cause: err });
  } finally {
    if (partial) clearTimeout(partial);
    r.body.destroy();
  }
}

async function readSome(body: AsyncIterable<Uint8Array> & { destroy(): void }, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of body) {
      parts.push(Buffer.from(c).subarray(0, Math.max(0, max - size)));
      size += c.byteLength;
      if (size >= max) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A pod's log, passed to onText as it comes; resolves when it ends (or the signal aborts). */
export function podLogs(session: ApiSession, opts: PodLogOptions): Promise<void> {
  const { onText, ...o } = opts;
  return streamLog(session, o, (s) => onText(s));
}

/**
 * A pod's log written to `file` (0600, replaced if it exists), fsynced at the end; a follow saves
 * until it is stopped. Log collection takes saved logs into its store.
 */
export async function savePodLog(
  session: ApiSession,
  opts: Omit<PodLogOptions, 'onText'> & { file: string; onText?: (chunk: string) => void },
): Promise<{ file: string; bytes: number }> {
  const { file, onText, ...o } = opts;
  const target = path.resolve(file);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(target, 'w', 0o600);
  } catch (err) {
    throw new FieldlinkError('STORAGE', `Could not write ${target}: ${(err as Error).message}.`, undefined, { cause: err });
  }
  let bytes = 0;
  try {
    const write = async (b: Buffer | null) => {
      try {
        if (b) await fh.write(b);
        else await fh.sync();
      } catch (err) {
        throw new FieldlinkError('STORAGE', `Could not write ${target}: ${(err as Error).message}. Is the disk full?`, undefined, { cause: err });
      }
    };
    await streamLog(session, o, async (s) => {
      const b = Buffer.from(s, 'utf8');
      await write(b);
      bytes += b.length;
      onText?.(s);
    });
    await write(null);
  } finally {
    await fh.close();
  }
  return { file: target, bytes };
}
