import { Readable } from 'node:stream';
import { Upload, type HttpResponse } from 'tus-js-client';
import { FieldlinkError } from '../../../shared/errors.ts';
import { safeText } from '../../../shared/text.ts';
import { SegmentStreamSource } from './source.ts';
import { Throttle } from './throttle.ts';

/** One segment as the uploader needs it; `open()` gives a fresh stream of its bytes each time. */
export interface UploadableSegment {
  hash: string;
  box: string;
  source: string;
  from: string;
  to: string;
  size: number;
  open(): NodeJS.ReadableStream;
}

export interface UploadOptions {
  /** The collector's base URL, e.g. http://10.78.0.2:1080. */
  collector: string;
  token: string;
  /** The upload URL persisted by an earlier attempt (app restart): resume there. */
  resumeUrl?: string | null;
  /** Called synchronously with a new upload URL before any of its bytes are sent: persist it. */
  onUrl(url: string): void;
  onProgress(sent: number, total: number): void;
  signal?: AbortSignal;
  /** Optional cap on the upload rate, bytes per second. */
  bytesPerSecond?: number;
  /** Tries before giving up (default 6); waits between them grow exponentially, randomized. */
  attempts?: number;
  /** First retry wait in ms (default 1000), doubled per try up to 60 s, each drawn at random from [w/2, w]. */
  retryBaseMs?: number;
}

export interface UploadResult {
  /** The collector's receipt number. */
  receipt: number | string;
  /** True when the collector already had this hash: nothing new was stored. */
  duplicate: boolean;
}

const SHA256_RE = /^[0-9a-f]{64}$/;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_CHUNK = 4 << 20;

/** Fails the attempt for good (no retry): the same request would fail the same way. */
class Final extends Error {
  readonly error: FieldlinkError;
  constructor(error: FieldlinkError) {
    super(error.message);
    this.error = error;
  }
}

/** The collector's own sentence from a JSON error body, as safe bounded text. */
function collectorSays(body: string | undefined | null): string {
  if (!body) return '';
  try {
    const m = (JSON.parse(body.slice(0, 4096)) as { message?: unknown }).message;
    return typeof m === 'string' ? safeText(m, 300) : '';
  } catch {
    return '';
  }
}

/** Maps a collector answer that is not success to the error a technician can act on. */
export function errorForStatus(status: number, body: string | null | undefined, hash: string): FieldlinkError | null {
  const says = collectorSays(body);
  if (status === 401 || status === 403)
    return new FieldlinkError('AUTH_FAILED', `The collector refused the token${says ? `: ${says}` : '.'} Check the collector token in Settings.`, { status });
  if (status === 460)
    return new FieldlinkError(
      'STORAGE',
      `Segment ${hash.slice(0, 12)}… does not match its hash at the collector: the copy on this laptop is damaged. It was not stored; re-collect it.`,
      {
        status,
        reason: 'HASH_MISMATCH',
      },
    );
  if (status === 400 || status === 413) return new FieldlinkError('BAD_REQUEST', `The collector refused segment ${hash.slice(0, 12)}…${says ? `: ${says}` : '.'}`, { status });
  return null; // 5xx, 404 of a vanished upload, 423 locked…: worth another try
}

function timeoutSignal(signal: AbortSignal | undefined, ms = REQUEST_TIMEOUT_MS): AbortSignal {
  return signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
}

function receiptOf(get: (name: string) => string | null | undefined, hash: string): number | string | undefined {
  if (get('fieldlink-sha256') !== hash) return undefined;
  const r = get('fieldlink-receipt');
  if (!r) return undefined;
  return /^\d{1,15}$/.test(r) ? Number(r) : safeText(r, 64);
}

/** HEAD /segments/<sha256>: the receipt when the collector already has the hash. */
async function storedReceipt(o: UploadOptions, hash: string): Promise<number | string | undefined> {
  const res = await fetch(`${o.collector}/segments/${hash}`, { method: 'HEAD', headers: { Authorization: `Bearer ${o.token}` }, signal: timeoutSignal(o.signal) });
  if (res.status === 404) return undefined;
  const err = errorForStatus(res.status, null, hash);
  if (err) throw new Final(err);
  if (res.status !== 200) throw new Error(`HEAD /segments answered ${res.status}`);
  const receipt = receiptOf((n) => res.headers.get(n), hash);
  if (receipt === undefined)
    throw new Final(new FieldlinkError('PROTOCOL', 'The collector listed the segment without a matching Fieldlink-Sha256; is this a Fieldlink collector?'));
  return receipt;
}

/** HEAD of a persisted upload URL: its offset, or its receipt when it is finished, or null when it is gone. */
async function resumeState(o: UploadOptions, url: string, hash: string): Promise<{ offset: number; receipt?: number | string } | null> {
  const res = await fetch(url, { method: 'HEAD', headers: { Authorization: `Bearer ${o.token}`, 'Tus-Resumable': '1.0.0' }, signal: timeoutSignal(o.signal) });
  if (res.status === 404 || res.status === 410) return null;
  const err = errorForStatus(res.status, null, hash);
  if (err) throw new Final(err);
  if (res.status !== 200 && res.status !== 204) throw new Error(`HEAD of the upload answered ${res.status}`);
  const offset = Number(res.headers.get('upload-offset'));
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error('HEAD of the upload gave no Upload-Offset');
  return { offset, receipt: receiptOf((n) => res.headers.get(n), hash) };
}

interface TusOutcome {
  receipt?: number | string;
  duplicate: boolean;
}

/** One tus attempt from `offset` (bytes before it are read from the stream and skipped, not sent). */
function tusAttempt(seg: UploadableSegment, o: UploadOptions, url: string | null, offset: number): Promise<TusOutcome> {
  return new Promise((resolve, reject) => {
    const raw = seg.open() as Readable;
    const input = o.bytesPerSecond ? raw.pipe(new Throttle(o.bytesPerSecond, offset)) : raw;
    raw.once('error', (e) => input.destroy(e));
    let last: HttpResponse | undefined;
    const chunkSize = o.bytesPerSecond ? Math.min(MAX_CHUNK, Math.max(64 << 10, Math.floor(o.bytesPerSecond))) : MAX_CHUNK;
    const finish = (fn: () => void) => {
      o.signal?.removeEventListener('abort', onAbort);
      raw.destroy();
      fn();
    };
    const source = new SegmentStreamSource(input as Readable, seg.size);
    const up: Upload = new Upload(input, {
      fileReader: { openFile: () => Promise.resolve(source) },
      endpoint: `${o.collector}/files`,
      uploadUrl: url,
      uploadSize: seg.size,
      chunkSize,
      metadata: { sha256: seg.hash, box: seg.box, source: seg.source, from: seg.from, to: seg.to },
      headers: { Authorization: `Bearer ${o.token}` },
      retryDelays: [], // retried by uploadSegment with a fresh stream: a stream cannot seek back
      storeFingerprintForResuming: false,
      onUploadUrlAvailable: () => {
        if (up.url && up.url !== url) o.onUrl(up.url);
      },
      onAfterResponse: (_req, res) => {
        last = res;
      },
      onProgress: (sent, total) => o.onProgress(sent, total),
      onSuccess: () =>
        finish(() => resolve({ receipt: last ? receiptOf((n) => last!.getHeader(n), seg.hash) : undefined, duplicate: last?.getHeader('Fieldlink-Segment') === 'duplicate' })),
      onError: (error) => finish(() => reject(error)),
    });
    const onAbort = () => void up.abort().then(() => finish(() => reject(new FieldlinkError('ABORTED', 'Upload cancelled; it resumes from where it stopped next time.'))));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    up.start();
  });
}

/** Turns what a failed attempt threw into: a result (already stored), a final error, or a retryable one. */
function classify(err: unknown, hash: string): { done?: UploadResult; final?: FieldlinkError; retry?: string } {
  if (err instanceof Final) return { final: err.error };
  if (err instanceof FieldlinkError) return { final: err };
  const res = (err as { originalResponse?: HttpResponse | null }).originalResponse;
  if (res) {
    // Creating an upload for a stored hash: 200, the receipt, and no Location (tus-js-client calls it an error).
    const receipt = res.getStatus() === 200 && res.getHeader('Fieldlink-Segment') === 'stored' ? receiptOf((n) => res.getHeader(n), hash) : undefined;
    if (receipt !== undefined) return { done: { receipt, duplicate: true } };
    const final = errorForStatus(res.getStatus(), res.getBody(), hash);
    if (final) return { final };
    return { retry: `the collector answered ${res.getStatus()}` };
  }
  const cause = (err as { cause?: { code?: string } }).cause;
  return { retry: safeText(cause?.code ?? (err as Error).message ?? String(err), 200) };
}

/** Randomized exponential backoff: try n waits a random time in [w/2, w], w = base·2ⁿ, at most 60 s. */
export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const w = Math.min(60_000, baseMs * 2 ** attempt);
  return Math.round(w / 2 + random() * (w / 2));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new FieldlinkError('ABORTED', 'Upload cancelled; it resumes from where it stopped next time.'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(t);
      reject(new FieldlinkError('ABORTED', 'Upload cancelled; it resumes from where it stopped next time.'));
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Uploads one segment to the collector, exactly once. Asks `HEAD /segments/<sha256>` first (already
 * there: no bytes); resumes a persisted upload URL from its offset; otherwise creates the upload
 * (onUrl persists its URL before any bytes go). The segment counts as delivered only when a
 * collector answer carries Fieldlink-Sha256 equal to its hash, with a receipt number.
 */
export async function uploadSegment(seg: UploadableSegment, o: UploadOptions): Promise<UploadResult> {
  if (!SHA256_RE.test(seg.hash)) throw new FieldlinkError('BAD_REQUEST', 'A segment is named by its sha256: 64 lowercase hex characters.');
  const attempts = o.attempts ?? 6;
  let url = o.resumeUrl ?? null;
  let why = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoffMs(attempt - 1, o.retryBaseMs ?? 1000), o.signal);
    try {
      const stored = await storedReceipt(o, seg.hash);
      if (stored !== undefined) return { receipt: stored, duplicate: true };
      let offset = 0;
      if (url) {
        const state = await resumeState(o, url, seg.hash);
        if (state?.receipt !== undefined) return { receipt: state.receipt, duplicate: false };
        if (state) offset = state.offset;
        else url = null; // the collector forgot it (finished elsewhere, or expired): create anew
      }
      const out = await tusAttempt(seg, o, url, offset);
      if (out.receipt !== undefined) return { receipt: out.receipt, duplicate: out.duplicate };
      // Every byte is there but the last answer had no receipt (tus saw offset = length on HEAD): ask for it.
      const receipt = await storedReceipt(o, seg.hash);
      if (receipt !== undefined) return { receipt, duplicate: out.duplicate };
      why = 'the collector took every byte but gave no receipt yet';
    } catch (err) {
      if (o.signal?.aborted) throw new FieldlinkError('ABORTED', 'Upload cancelled; it resumes from where it stopped next time.');
      const c = classify(err, seg.hash);
      if (c.done) return c.done;
      if (c.final) throw c.final;
      why = c.retry ?? 'unknown';
    }
  }
  throw new FieldlinkError(
    'LINK_DOWN',
    `Could not deliver segment ${seg.hash.slice(0, 12)}… after ${attempts} tries (last: ${why}). It stays in the outbox and is sent when the collector answers.`,
    {
      attempts,
    },
  );
}
