import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3, type S3ClientConfig } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { IoRedisKvStore } from '@tus/utils';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SegmentBackend } from './backend.ts';
import type { Catalog, SegmentRow } from './catalog.ts';
import { MetadataError, SHA256_RE, validateSegmentMeta, type SegmentMeta } from './metadata.ts';
import { RedisLocker } from './redis-locker.ts';
import { HashMismatchError, type FinalizeResult } from './store.ts';

/**
 * The bucket, shared by every collector instance:
 *   <upload id>, <id>.info, <id>.part   tus uploads in progress (@tus/s3-store: a multipart upload each)
 *   segments/<sha256>                   verified segments; the object's metadata is its receipt
 *   receipts/<seq, 16 digits>           one JSON receipt per stored segment, in sequence order
 * Redis holds the tus locks (RedisLocker), tus's upload-info cache (so no instance serves a stale
 * offset) and the receipt counter (INCR), so receipt numbers are one sequence across instances.
 * Each instance's sqlite catalog is only an index of receipts/ for the read API; the bucket is the
 * source of truth and any instance rebuilds its index from it.
 */
export interface S3Options {
  bucket: string;
  region: string;
  endpoint?: string;
  /** Path-style URLs (endpoint/bucket/key): what S3-compatible servers expect. Default: on with an endpoint. */
  forcePathStyle: boolean;
  /** tus part size in bytes (default 8 MiB; S3 wants at least 5 MiB for all parts but the last). */
  partSize?: number;
}

const S3_KEYS = ['endpoint', 'bucket', 'region', 'path-style', 'part-size'] as const;

/** Parses `--s3 endpoint=…,bucket=…,region=…[,path-style=true|false][,part-size=BYTES]`. */
export function parseS3Option(text: string): S3Options {
  const o: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (/secret|access|key|token|password/i.test(key))
      throw new MetadataError(`--s3 takes no credentials ("${key.slice(0, 20)}"): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment.`);
    if (!(S3_KEYS as readonly string[]).includes(key) || eq < 0)
      throw new MetadataError(`--s3 expects ${S3_KEYS.map((k) => `${k}=…`).join(',')}; "${key.slice(0, 20)}" is not one.`);
    o[key] = pair.slice(eq + 1).trim();
  }
  if (!o.bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket)) throw new MetadataError('--s3 needs bucket=NAME (3–63 of a-z 0-9 . -).');
  if (o.endpoint !== undefined && !/^https?:\/\/[^\s,]+$/.test(o.endpoint)) throw new MetadataError('--s3 endpoint= must be an http:// or https:// URL.');
  if (o['path-style'] !== undefined && !/^(true|false)$/.test(o['path-style'])) throw new MetadataError('--s3 path-style= is true or false.');
  const partSize = o['part-size'] === undefined ? undefined : Number(o['part-size']);
  if (partSize !== undefined && !(Number.isInteger(partSize) && partSize >= 5 << 20)) throw new MetadataError('--s3 part-size= must be a whole number of bytes, at least 5 MiB.');
  const out: S3Options = { bucket: o.bucket, region: o.region || 'us-east-1', forcePathStyle: o['path-style'] ? o['path-style'] === 'true' : o.endpoint !== undefined };
  if (o.endpoint) out.endpoint = o.endpoint;
  if (partSize) out.partSize = partSize;
  return out;
}

/** Exposes the two steps an instance takes over when another died between the last part and its completion. */
class SharedS3Store extends S3Store {
  async completeAssembled(id: string): Promise<void> {
    const metadata = await this.getMetadata(id);
    const parts = await this.retrieveParts(id);
    await this.finishMultipartUpload(metadata, parts);
    await this.completeMetadata(metadata.file);
    await this.clearCache(id);
  }

  forget(id: string): Promise<void> {
    return this.clearCache(id);
  }
}

const segmentKey = (sha: string) => `segments/${sha}`;
const receiptKey = (seq: number) => `receipts/${String(seq).padStart(16, '0')}`;
const SEQ_KEY = 'fieldlink:receipt-seq';
/** Receipts re-listed behind the highest one known: numbers are taken before the receipt is written, so a slow finish lands behind. */
const RELIST_WINDOW = 1000;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function rowToMetadata(r: SegmentRow): Record<string, string> {
  const m: Record<string, string> = {
    'fl-seq': String(r.seq),
    'fl-sha256': r.sha256,
    'fl-size': String(r.size),
    'fl-box': r.box,
    'fl-source': r.source,
    'fl-from': r.from,
    'fl-to': r.to,
    'fl-technician': r.technician,
    'fl-received-at': r.receivedAt,
  };
  if (r.filename !== undefined) m['fl-filename'] = r.filename;
  if (r.range !== undefined) m['fl-range'] = r.range;
  return m;
}

/** A row read back from the bucket is checked as strictly as an upload's metadata: the bucket may have been written by anyone holding its keys. */
function checkedRow(raw: Record<string, unknown>): SegmentRow {
  const s = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : typeof raw[k] === 'number' ? String(raw[k]) : undefined);
  const md: Record<string, string | undefined> = { sha256: s('sha256'), box: s('box'), source: s('source'), from: s('from'), to: s('to') };
  if (s('filename') !== undefined) md.filename = s('filename');
  if (s('range') !== undefined) md.range = s('range');
  const meta = validateSegmentMeta(md);
  const seq = Number(s('seq'));
  const size = Number(s('size'));
  const technician = s('technician') ?? '';
  const receivedAt = s('receivedAt') ?? '';
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(size) || size < 0 || !/^[A-Za-z0-9._@-]{1,64}$/.test(technician) || !Number.isFinite(Date.parse(receivedAt)))
    throw new MetadataError('A receipt in the bucket is malformed.');
  return { ...meta, seq, size, technician, receivedAt };
}

function metadataToRow(m: Record<string, string> | undefined): SegmentRow {
  const g = (k: string) => m?.[`fl-${k}`];
  const raw: Record<string, unknown> = { seq: g('seq'), sha256: g('sha256'), size: g('size'), box: g('box'), source: g('source'), from: g('from'), to: g('to') };
  Object.assign(raw, { technician: g('technician'), receivedAt: g('received-at') });
  if (g('filename') !== undefined) raw.filename = g('filename');
  if (g('range') !== undefined) raw.range = g('range');
  return checkedRow(raw);
}

export interface S3BackendOptions {
  s3: S3Options;
  redisUrl: string;
  catalog: Catalog;
  log: Logger;
  /** How long a killed instance's locks block its uploads (RedisLocker ttl). */
  lockTtlMs?: number;
}

export class S3Backend implements SegmentBackend {
  readonly kind = 's3' as const;
  readonly datastore: SharedS3Store;
  readonly locker: RedisLocker;
  readonly catalog: Catalog;
  readonly client: S3;
  readonly redis: Redis;
  private readonly bucket: string;
  private readonly log: Logger;
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;

  private constructor(o: S3BackendOptions, redis: Redis) {
    const config: S3ClientConfig = {
      region: o.s3.region,
      forcePathStyle: o.s3.forcePathStyle,
      // Checksums only where S3 requires them: S3-compatible servers often reject the SDK's
      // default aws-chunked CRC trailers, and every segment is sha256-checked end to end anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Credentials: the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY first), never argv.
    };
    if (o.s3.endpoint) config.endpoint = o.s3.endpoint;
    this.client = new S3(config);
    this.redis = redis;
    this.bucket = o.s3.bucket;
    this.catalog = o.catalog;
    this.log = o.log;
    this.locker = new RedisLocker(redis, { ttlMs: o.lockTtlMs ?? 10_000 });
    this.datastore = new SharedS3Store({
      partSize: o.s3.partSize,
      cache: new IoRedisKvStore(redis, 'fieldlink:tus:'),
      s3ClientConfig: { ...config, bucket: o.s3.bucket },
    });
  }

  /** Connects to Redis and checks the bucket answers, so a wrong flag fails at start, not at the first upload. */
  static async open(o: S3BackendOptions): Promise<S3Backend> {
    const redis = new Redis(o.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000 });
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new Error(`Cannot reach Redis at the --redis URL: ${(err as Error).message}. Start redis-server or fix the URL.`, { cause: err });
    }
    const b = new S3Backend(o, redis);
    try {
      await b.client.headBucket({ Bucket: b.bucket });
    } catch (err) {
      await b.close();
      throw new Error(`The bucket "${o.s3.bucket}" does not answer (${(err as Error).name}): check --s3 endpoint/bucket/region and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.`, {
        cause: err,
      });
    }
    return b;
  }

  /** The bucket is the source of truth: at start this instance's index takes in what others stored. */
  async recover(): Promise<void> {
    await this.refresh(true);
  }

  async finalize(uploadId: string, meta: SegmentMeta, technician: string): Promise<FinalizeResult> {
    return this.locker.withLock(`segment:${meta.sha256}`, async () => {
      const existing = await this.lookup(meta.sha256);
      if (existing) {
        await this.dropUploadData(uploadId);
        return { stored: false, row: existing };
      }
      const { sha256: actual, size } = await this.hashObject(uploadId);
      if (actual !== meta.sha256) {
        await this.dropUploadData(uploadId, true);
        this.log.warn({ upload: uploadId, expected: meta.sha256, actual, box: meta.box }, 'hash mismatch: upload deleted');
        throw new HashMismatchError(meta.sha256, actual);
      }
      const seq = await this.redis.incr(SEQ_KEY);
      const row: SegmentRow = { ...meta, seq, size, technician, receivedAt: new Date().toISOString() };
      // Copy returns once the segment is durable in the bucket; only then is a receipt written and answered.
      await this.client.copyObject({
        Bucket: this.bucket,
        Key: segmentKey(meta.sha256),
        CopySource: `${this.bucket}/${uploadId}`,
        MetadataDirective: 'REPLACE',
        Metadata: rowToMetadata(row),
        ContentType: 'application/octet-stream',
      });
      await this.putReceipt(row);
      this.catalog.put(row);
      await this.dropUploadData(uploadId);
      return { stored: true, row };
    });
  }

  /** Streams the uploaded object through sha256 (S3 parts may come from different instances, so no running hash survives). */
  private async hashObject(key: string): Promise<{ sha256: string; size: number }> {
    const res = await this.client.getObject({ Bucket: this.bucket, Key: key });
    const h = crypto.createHash('sha256');
    let size = 0;
    const body = res.Body as Readable;
    body.on('data', (c: Buffer) => (size += c.length));
    await pipeline(body, h);
    return { sha256: h.digest('hex'), size };
  }

  /**
   * Deletes the upload's bytes. Its .info stays (a few hundred bytes) so a client resuming it is told
   * the upload is complete, and its receipt found, instead of starting over; on a hash mismatch both go.
   */
  private async dropUploadData(uploadId: string, withInfo = false): Promise<void> {
    const keys = [{ Key: uploadId }, { Key: `${uploadId}.part` }];
    if (withInfo) keys.push({ Key: `${uploadId}.info` });
    await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } });
    if (withInfo) await this.datastore.forget(uploadId);
  }

  private async putReceipt(row: SegmentRow): Promise<void> {
    await this.client.putObject({ Bucket: this.bucket, Key: receiptKey(row.seq), Body: JSON.stringify(row), ContentType: 'application/json' });
  }

  async lookup(sha256: string): Promise<SegmentRow | undefined> {
    if (!SHA256_RE.test(sha256)) return undefined;
    const local = this.catalog.get(sha256);
    if (local) return local;
    let head;
    try {
      head = await this.client.headObject({ Bucket: this.bucket, Key: segmentKey(sha256) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const row = metadataToRow(head.Metadata);
    // An instance may have died between storing the segment and writing its receipt: write it now.
    try {
      await this.client.headObject({ Bucket: this.bucket, Key: receiptKey(row.seq) });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.putReceipt(row);
    }
    this.catalog.put(row);
    return row;
  }

  /** Takes in receipts other instances wrote; at most once a second unless forced, one run at a time. */
  refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.refreshedAt < 1000) return this.refreshing ?? Promise.resolve();
    return (this.refreshing ??= this.listReceipts().finally(() => {
      this.refreshedAt = Date.now();
      this.refreshing = undefined;
    }));
  }

  private async listReceipts(): Promise<void> {
    const from = Math.max(0, this.catalog.maxSeq() - RELIST_WINDOW);
    let token: string | undefined;
    let added = 0;
    do {
      const page = await this.client.listObjectsV2({ Bucket: this.bucket, Prefix: 'receipts/', StartAfter: receiptKey(from), ContinuationToken: token, MaxKeys: 1000 });
      for (const o of page.Contents ?? []) {
        const m = /^receipts\/(\d{16})$/.exec(o.Key ?? '');
        if (!m || this.catalog.hasSeq(Number(m[1]))) continue;
        const got = await this.client.getObject({ Bucket: this.bucket, Key: o.Key! });
        const text = await got.Body!.transformToString();
        if (text.length > 8192) continue;
        try {
          if (this.catalog.put(checkedRow(JSON.parse(text) as Record<string, unknown>))) added++;
        } catch (err) {
          this.log.warn({ key: o.Key, err: (err as Error).message }, 'skipped a malformed receipt in the bucket');
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (added) this.log.info({ added }, 'index took in receipts stored by other instances');
  }

  async open(sha256: string): Promise<Readable> {
    const res = await this.client.getObject({ Bucket: this.bucket, Key: segmentKey(sha256) });
    return res.Body as Readable;
  }

  async finishedUpload(uploadId: string): Promise<SegmentRow | undefined> {
    let up;
    try {
      up = await this.datastore.getUpload(uploadId);
    } catch {
      return undefined; // unknown upload: tus answers 404 itself
    }
    if (up.size === undefined || up.offset !== up.size) return undefined;
    const { technician, ...md } = up.metadata ?? {};
    const meta = validateSegmentMeta(md);
    const row = await this.lookup(meta.sha256);
    if (row) return row;
    if (!(await this.exists(uploadId))) {
      // Every part arrived but the instance died before assembling them: assemble, then store.
      this.log.info({ upload: uploadId }, 'completing an upload another instance left assembled but unfinished');
      await this.datastore.completeAssembled(uploadId);
    }
    return (await this.finalize(uploadId, meta, technician ?? 'unknown')).row;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.headObject({ Bucket: this.bucket, Key: key });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.refreshing?.catch(() => undefined);
    await this.locker.close();
    this.redis.disconnect();
    this.client.destroy();
  }
}
