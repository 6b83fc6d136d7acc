import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Server as TusServer } from '@tus/server';
import { pino, type Logger } from 'pino';
import { FileBackend, type SegmentBackend } from './backend.ts';
import { Catalog, type SegmentRow } from './catalog.ts';
import { MetadataError, parseUploadMetadata, SHA256_RE, validateSegmentMeta } from './metadata.ts';
import { S3Backend, type S3Options } from './s3.ts';
import { HashMismatchError, layoutOf, prepareLayout } from './store.ts';
import { checkAuthorization, type TokenEntry } from './tokens.ts';

export interface CollectorOptions {
  dir: string;
  tokens: readonly TokenEntry[];
  host?: string;
  port?: number;
  /** Largest segment accepted, bytes (default 1 GiB). */
  maxSize?: number;
  log?: Logger;
  /** Keep segments in this bucket, shared with other instances (needs `redis`); DIR then holds only a local index. */
  s3?: S3Options;
  /** Redis URL for the shared locks, upload cache and receipt numbers (with `s3`). */
  redis?: string;
  /** With `s3`: how long a killed instance's upload locks last (default 10 s). */
  lockTtlMs?: number;
}

export interface Collector {
  url: string;
  port: number;
  backend: SegmentBackend;
  close(): Promise<void>;
}

const TUS_PATH = '/files';
const UPLOAD_ID_RE = /^[0-9a-f]{32}$/;

/** The logger: JSON on stderr; tokens and Authorization headers redacted should anything pass them. */
export function collectorLogger(level = process.env.FIELDLINK_LOG ?? 'info'): Logger {
  return pino(
    { level, base: undefined, redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers'], censor: '[redacted]' } },
    pino.destination({ fd: 2, sync: true }),
  );
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(res: http.ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
  json(res, status, { error, message }, headers);
}

function receiptHeaders(r: SegmentRow): Record<string, string> {
  const h: Record<string, string> = {
    'Fieldlink-Sha256': r.sha256,
    'Fieldlink-Receipt': String(r.seq),
    'Fieldlink-Box': r.box,
    'Fieldlink-Source': r.source,
    'Fieldlink-From': r.from,
    'Fieldlink-To': r.to,
    'Fieldlink-Received-At': r.receivedAt,
  };
  return h;
}

function intParam(v: string | null, def: number, max: number): number {
  if (v === null || v === '') return def;
  if (!/^\d{1,15}$/.test(v)) throw new MetadataError(`"${v.slice(0, 20)}" is not a whole number.`);
  return Math.min(Number(v), max);
}

function timeParam(v: string | null, name: string, def: number): number {
  if (v === null || v === '') return def;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new MetadataError(`"${name}" must be an ISO 8601 time.`);
  return t;
}

export async function startCollector(opts: CollectorOptions): Promise<Collector> {
  const log = opts.log ?? collectorLogger();
  const layout = layoutOf(opts.dir);
  prepareLayout(layout);
  if (opts.s3 && !opts.redis) throw new Error('The S3 store is shared by instances and needs --redis URL for their locks.');
  const catalog = new Catalog(layout.catalog);
  let backend: SegmentBackend;
  try {
    backend = opts.s3 ? await S3Backend.open({ s3: opts.s3, redisUrl: opts.redis!, catalog, log, lockTtlMs: opts.lockTtlMs }) : new FileBackend(opts.dir, catalog, log);
    await backend.recover();
  } catch (err) {
    catalog.close();
    throw err;
  }
  const tokens = opts.tokens;
  const maxSize = opts.maxSize ?? 1 << 30;
  const pending = new Set<Promise<unknown>>();

  const technicianOf = (auth: string | null): string => {
    const c = checkAuthorization(auth, tokens);
    if (!c.ok) throw { status_code: 401, body: JSON.stringify({ error: 'UNAUTHORIZED', message: c.reason }) };
    return c.technician;
  };

  const tus = new TusServer({
    path: TUS_PATH,
    datastore: backend.datastore,
    ...(backend.locker ? { locker: backend.locker } : {}),
    relativeLocation: true,
    maxSize,
    exposedHeaders: ['Fieldlink-Segment', 'Fieldlink-Sha256', 'Fieldlink-Receipt'],
    // Ids are always the server's own random hex, never anything from metadata.
    onUploadCreate: (req, upload) => {
      const technician = technicianOf(req.headers.get('authorization'));
      try {
        const meta = validateSegmentMeta(upload.metadata ?? undefined);
        if (upload.size === undefined) throw new MetadataError('A segment upload must give its Upload-Length.');
        return Promise.resolve({ metadata: { ...meta, technician } });
      } catch (err) {
        return Promise.reject({ status_code: 400, body: JSON.stringify({ error: 'BAD_METADATA', message: (err as Error).message }) });
      }
    },
    onUploadFinish: async (_req, upload) => {
      const { technician, ...md } = upload.metadata ?? {};
      const meta = validateSegmentMeta(md);
      const job = backend.finalize(upload.id, meta, technician ?? 'unknown');
      pending.add(job);
      try {
        const { stored, row } = await job;
        log.info({ sha256: row.sha256, box: row.box, size: row.size, technician, stored }, stored ? 'segment stored' : 'segment already stored; upload dropped');
        return { status_code: 204, headers: { 'Fieldlink-Segment': stored ? 'stored' : 'duplicate', 'Fieldlink-Sha256': row.sha256, 'Fieldlink-Receipt': String(row.seq) } };
      } catch (err) {
        if (err instanceof HashMismatchError) throw { status_code: 460, body: JSON.stringify({ error: 'HASH_MISMATCH', message: err.message }) };
        log.error({ err, upload: upload.id }, 'finishing an upload failed');
        throw { status_code: 500, body: JSON.stringify({ error: 'STORAGE', message: 'The collector could not store the segment; try again later.' }) };
      } finally {
        pending.delete(job);
      }
    },
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, technician: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://collector');
    const p = url.pathname;
    if (p === TUS_PATH || p.startsWith(`${TUS_PATH}/`)) {
      if (p === TUS_PATH && req.method === 'POST') {
        // Refuse bad metadata before the tus server writes anything, and short-circuit a hash
        // that is already stored: 200 + Fieldlink-Segment: stored + the receipt, no bytes sent.
        try {
          if (req.headers['upload-defer-length'] !== undefined) throw new MetadataError('A segment upload must give its Upload-Length.');
          const meta = validateSegmentMeta(parseUploadMetadata(req.headers['upload-metadata'] as string | undefined));
          const row = await backend.lookup(meta.sha256);
          if (row) {
            log.info({ sha256: row.sha256, technician }, 'upload of a stored segment answered with its receipt');
            return json(res, 200, { stored: true, receipt: row }, { 'Tus-Resumable': '1.0.0', 'Fieldlink-Segment': 'stored', ...receiptHeaders(row) });
          }
        } catch (err) {
          if (err instanceof MetadataError) return fail(res, 400, 'BAD_METADATA', err.message, { 'Tus-Resumable': '1.0.0', Connection: 'close' });
          throw err;
        }
      } else if (req.method !== 'OPTIONS' && !(p.length > TUS_PATH.length + 1 && UPLOAD_ID_RE.test(p.slice(TUS_PATH.length + 1)))) {
        return fail(res, 404, 'NOT_FOUND', 'No such upload.', { 'Tus-Resumable': '1.0.0' });
      } else if (req.method === 'HEAD' && (await finishedHead(res, p.slice(TUS_PATH.length + 1)))) {
        return;
      }
      await tus.handle(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'METHOD', 'Only GET and HEAD here.');
    if (p === '/receipts' || p === '/segments') await backend.refresh();
    if (p === '/receipts') {
      const since = url.searchParams.get('since');
      const limit = intParam(url.searchParams.get('limit'), 1000, 10_000);
      const rows =
        since && !/^\d+$/.test(since)
          ? catalog.receivedAfter(new Date(timeParam(since, 'since', 0)).toISOString(), limit)
          : catalog.since(intParam(since, 0, Number.MAX_SAFE_INTEGER), limit);
      return json(res, 200, { receipts: rows, next: rows.at(-1)?.seq ?? (since && /^\d+$/.test(since) ? Number(since) : 0) });
    }
    if (p === '/segments') {
      const box = url.searchParams.get('box');
      if (!box || box.length > 128 || !/^[\x20-\x7e]+$/.test(box)) throw new MetadataError('"box" is required: GET /segments?box=…&from=…&to=….');
      const from = timeParam(url.searchParams.get('from'), 'from', -8.64e15);
      const to = timeParam(url.searchParams.get('to'), 'to', 8.64e15);
      const limit = intParam(url.searchParams.get('limit'), 1000, 10_000);
      const rows = catalog.list(box, from, to, intParam(url.searchParams.get('after'), 0, Number.MAX_SAFE_INTEGER), limit);
      return json(res, 200, { segments: rows, next: rows.length === limit ? rows.at(-1)!.seq : null });
    }
    const m = /^\/segments\/([^/]+)$/.exec(p);
    if (m) {
      const sha = m[1]!;
      if (!SHA256_RE.test(sha)) return fail(res, 400, 'BAD_REQUEST', 'A segment is named by 64 lowercase hex characters (its sha256).');
      const row = await backend.lookup(sha);
      if (!row) return fail(res, 404, 'NOT_FOUND', 'No segment with that hash has arrived.');
      const headers = {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(row.size),
        ETag: `"${sha}"`,
        'Fieldlink-Size': String(row.size),
        ...receiptHeaders(row),
      };
      if (req.method === 'HEAD') {
        res.writeHead(200, headers);
        res.end();
        return;
      }
      const rs = await backend.open(sha);
      res.writeHead(200, headers);
      await pipeline(rs, res);
      return;
    }
    fail(res, 404, 'NOT_FOUND', 'Nothing here: the collector serves /files (tus), /receipts and /segments.');
  };

  /**
   * HEAD of an upload whose bytes all arrived answers with its receipt headers (storing it first if
   * the instance that got the last byte died before it could), so a resuming client learns it is
   * done and how. False: not finished, tus answers as usual.
   */
  const finishedHead = async (res: http.ServerResponse, id: string): Promise<boolean> => {
    let row: SegmentRow | undefined;
    try {
      row = await backend.finishedUpload(id);
    } catch (err) {
      if (!(err instanceof HashMismatchError)) throw err;
      res.writeHead(460, { 'Tus-Resumable': '1.0.0', 'Cache-Control': 'no-store' });
      res.end();
      return true;
    }
    if (!row) return false;
    res.writeHead(200, {
      'Tus-Resumable': '1.0.0',
      'Cache-Control': 'no-store',
      'Upload-Offset': String(row.size),
      'Upload-Length': String(row.size),
      'Fieldlink-Segment': 'stored',
      ...receiptHeaders(row),
    });
    res.end();
    return true;
  };

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const who: { technician?: string } = {};
    res.once('finish', () => {
      log.info({ method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, technician: who.technician, ms: Date.now() - started }, 'request');
    });
    const path = (req.url ?? '').split('?')[0];
    if (path === '/health') return json(res, 200, { ok: true });
    const auth = checkAuthorization(req.headers.authorization, tokens);
    if (!auth.ok) {
      return fail(res, 401, 'UNAUTHORIZED', auth.reason, { 'WWW-Authenticate': 'Bearer realm="fieldlink-collector"', 'Tus-Resumable': '1.0.0', Connection: 'close' });
    }
    who.technician = auth.technician;
    handle(req, res, auth.technician).catch((err: unknown) => {
      if (err instanceof MetadataError) return fail(res, 400, 'BAD_REQUEST', err.message);
      log.error({ err }, 'request failed');
      if (!res.headersSent) fail(res, 500, 'INTERNAL', 'The collector failed on this request; the details are in its log.');
      else res.destroy();
    });
  });
  server.requestTimeout = 0; // long uploads; tus resumes whatever a timeout would cut
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 1080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log.info({ host: addr.address, port: addr.port, dir: layout.dir, technicians: tokens.length }, 'collector listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), 5000);
      await done;
      clearTimeout(grace);
      await Promise.allSettled([...pending]);
      await backend.close();
      catalog.close();
      log.info('collector stopped');
    })());
  return { url: `http://${host}:${addr.port}`, port: addr.port, backend, close };
}
