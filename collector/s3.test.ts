import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Upload, type HttpResponse } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Option } from './s3.ts';
import { redisServerPath, startRedis, startS3, type Service } from './testing/services.ts';

const TOKEN = 'alice-token-0123456789abcdef';
const BUCKET = 'fieldlink-segments';
const BIN = path.resolve(import.meta.dirname, '../bin/fieldlink-collector.js');
const MIB = 1 << 20;
const auth = { Authorization: `Bearer ${TOKEN}` };
const haveRedis = redisServerPath() !== undefined;
if (!haveRedis) console.warn('SKIPPED collector S3 tests: redis-server is not installed (apt-get install -y redis-server; .ci/run installs it).');

let tmp: string;
let s3: Service;
let redis: Service;
const children = new Set<ChildProcess>();

interface Instance {
  child: ChildProcess;
  url: string;
}

function startInstance(name: string): Promise<Instance> {
  const s3opt = `endpoint=${s3.url},bucket=${BUCKET},region=us-east-1,part-size=${5 * MIB}`;
  const args = [BIN, '--port', '0', '--dir', path.join(tmp, name), '--tokens', path.join(tmp, 'tokens'), '--s3', s3opt, '--redis', redis.url];
  // s3rver's fixed dummy keys; from the environment, as the collector insists.
  const env = { ...process.env, FIELDLINK_LOG: 'warn', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`collector ${name} exited ${code}: ${err}`)));
  });
}

async function stopInstance(i: Instance, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const exited = new Promise((r) => i.child.once('exit', r));
  i.child.kill(signal);
  await exited;
  children.delete(i.child);
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const meta = (hash: string) => ({ sha256: hash, box: 'box-01', source: 'journald', from: '2026-12-01T10:00:00Z', to: '2026-12-01T11:00:00Z' });

interface Sent {
  url: string | null;
  error?: Error & { originalResponse?: HttpResponse | null };
  last?: HttpResponse;
  firstProgress: number;
}

function send(
  endpoint: string,
  data: Buffer,
  metadata: Record<string, string>,
  opts: { uploadUrl?: string; chunkSize?: number; /** true: abort here (tus-js-client then calls neither callback) */ cut?: (sent: number) => boolean } = {},
): Promise<Sent> {
  return new Promise((resolve) => {
    let last: HttpResponse | undefined;
    let firstProgress = -1;
    const up: Upload = new Upload(data, {
      endpoint: `${endpoint}/files`,
      uploadUrl: opts.uploadUrl,
      metadata,
      headers: auth,
      retryDelays: [],
      chunkSize: opts.chunkSize ?? Infinity,
      storeFingerprintForResuming: false,
      onAfterResponse: (_req, res) => {
        last = res;
      },
      onProgress: (sent) => {
        if (firstProgress < 0) firstProgress = sent;
        if (opts.cut?.(sent)) void up.abort().then(() => resolve({ url: up.url, last, firstProgress }));
      },
      onSuccess: () => resolve({ url: up.url, last, firstProgress }),
      onError: (error) => resolve({ url: up.url, error: error as Sent['error'], last, firstProgress }),
    });
    up.start();
  });
}

async function receipts(url: string) {
  await new Promise((r) => setTimeout(r, 1100)); // past the index's one-second refresh throttle
  const r = await fetch(`${url}/receipts?since=0`, { headers: auth });
  expect(r.status).toBe(200);
  return ((await r.json()) as { receipts: { seq: number; sha256: string; size: number }[] }).receipts;
}

/** What the bucket holds, by kind of key (s3rver keeps object <key> as <key>._S3rver_object). */
function bucketKeys(): { segments: string[]; uploads: string[]; infos: string[]; receipts: string[] } {
  const root = path.join(tmp, 's3', BUCKET);
  const keys = fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('._S3rver_object'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name.slice(0, -'._S3rver_object'.length))));
  return {
    segments: keys.filter((k) => k.startsWith('segments/')),
    uploads: keys.filter((k) => /^[0-9a-f]{32}$/.test(k)),
    infos: keys.filter((k) => k.endsWith('.info')),
    receipts: keys.filter((k) => k.startsWith('receipts/')),
  };
}

describe('parseS3Option', () => {
  it('reads endpoint, bucket and region, and refuses credentials on the command line', () => {
    expect(parseS3Option('endpoint=http://127.0.0.1:9000,bucket=logs,region=eu-west-1')).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'logs',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(parseS3Option('bucket=logs')).toEqual({ bucket: 'logs', region: 'us-east-1', forcePathStyle: false });
    expect(() => parseS3Option('bucket=logs,secret-key=abc')).toThrow(/AWS_SECRET_ACCESS_KEY in the environment/);
    expect(() => parseS3Option('region=x')).toThrow(/needs bucket=NAME/);
    expect(() => parseS3Option('bucket=logs,part-size=100')).toThrow(/at least 5 MiB/);
  });
});

describe.skipIf(!haveRedis)('two collector instances sharing one S3 bucket and Redis', () => {
  let one: Instance;
  let two: Instance;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-collector-s3-'));
    fs.writeFileSync(path.join(tmp, 'tokens'), `alice ${TOKEN}\n`, { mode: 0o600 });
    [s3, redis] = await Promise.all([startS3(path.join(tmp, 's3'), BUCKET), startRedis(path.join(tmp, 'redis'))]);
    [one, two] = await Promise.all([startInstance('one'), startInstance('two')]);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all([s3?.stop(), redis?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('an upload cut on instance 1 resumes on instance 2, completes once, and both list it once', async () => {
    const bytes = crypto.randomBytes(12 * MIB);
    const h = sha(bytes);
    let cut = false;
    const first = await send(one.url, bytes, meta(h), {
      chunkSize: 2 * MIB,
      cut: (sent) => !cut && (cut = sent >= 6 * MIB),
    });
    expect(cut).toBe(true);
    const id = first.url!.split('/').pop()!;
    const head = await fetch(`${two.url}/files/${id}`, { method: 'HEAD', headers: { ...auth, 'Tus-Resumable': '1.0.0' } });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(4 * MIB);
    expect(offset).toBeLessThan(bytes.length);
    const resumed = await send(two.url, bytes, meta(h), { uploadUrl: `${two.url}/files/${id}`, chunkSize: 2 * MIB });
    expect(resumed.error).toBeUndefined();
    expect(resumed.firstProgress).toBeGreaterThanOrEqual(offset); // nothing re-sent from 0
    expect(resumed.last?.getHeader('Fieldlink-Segment')).toBe('stored');
    expect(resumed.last?.getHeader('Fieldlink-Sha256')).toBe(h);
    const seq = Number(resumed.last?.getHeader('Fieldlink-Receipt'));
    for (const url of [one.url, two.url]) {
      expect((await receipts(url)).map((r) => [r.seq, r.sha256, r.size])).toEqual([[seq, h, bytes.length]]);
      const got = Buffer.from(await (await fetch(`${url}/segments/${h}`, { headers: auth })).arrayBuffer());
      expect(got.equals(bytes), `bytes read back through ${url}`).toBe(true);
    }
    const keys = bucketKeys();
    expect(keys.segments).toEqual([`segments/${h}`]);
    expect(keys.uploads).toEqual([]); // the upload's bytes were dropped once stored
    expect(keys.receipts).toHaveLength(1);
    // A client resuming the finished upload is told it is complete, with its receipt.
    const done = await fetch(`${one.url}/files/${id}`, { method: 'HEAD', headers: { ...auth, 'Tus-Resumable': '1.0.0' } });
    expect([done.status, done.headers.get('upload-offset'), done.headers.get('fieldlink-sha256')]).toEqual([200, String(bytes.length), h]);
  }, 60_000);

  it('a second upload of the same bytes on the other instance stores nothing new', async () => {
    const bytes = crypto.randomBytes(300_000);
    const h = sha(bytes);
    expect((await send(one.url, bytes, meta(h))).error).toBeUndefined();
    const before = bucketKeys();
    const again = await send(two.url, bytes, meta(h));
    expect(again.error?.originalResponse?.getStatus()).toBe(200);
    expect(again.error?.originalResponse?.getHeader('Fieldlink-Segment')).toBe('stored');
    expect(bucketKeys()).toEqual(before);
    const head = await fetch(`${two.url}/segments/${h}`, { method: 'HEAD', headers: auth });
    expect([head.status, head.headers.get('fieldlink-sha256'), head.headers.get('content-length')]).toEqual([200, h, String(bytes.length)]);
  }, 30_000);

  it('two uploads of one hash racing on the two instances store it once', async () => {
    const bytes = crypto.randomBytes(3 * MIB);
    const h = sha(bytes);
    const outs = await Promise.all([send(one.url, bytes, meta(h)), send(two.url, bytes, meta(h))]);
    expect(outs.map((o) => o.last?.getHeader('Fieldlink-Segment')).sort()).toEqual(['duplicate', 'stored']);
    expect(bucketKeys().segments.filter((k) => k.endsWith(h))).toHaveLength(1);
    expect(bucketKeys().uploads).toEqual([]);
  }, 30_000);

  it('bad metadata is refused 400 and a wrong hash 460, with nothing stored', async () => {
    const before = bucketKeys();
    const bytes = crypto.randomBytes(50_000);
    const bad = await send(one.url, bytes, { ...meta(sha(bytes)), box: '../x' });
    expect(bad.error?.originalResponse?.getStatus()).toBe(400);
    const wrong = await send(two.url, bytes, meta('0'.repeat(64)));
    expect(wrong.error?.originalResponse?.getStatus()).toBe(460);
    expect(wrong.error?.originalResponse?.getBody()).toContain('HASH_MISMATCH');
    const after = bucketKeys();
    expect([after.segments, after.receipts, after.uploads]).toEqual([before.segments, before.receipts, []]);
  }, 30_000);

  it('kill -9 of instance 1 mid-upload: the upload resumes on instance 2 and completes once', async () => {
    const bytes = crypto.randomBytes(16 * MIB);
    const h = sha(bytes);
    let killed = false;
    const first = await send(one.url, bytes, meta(h), {
      chunkSize: 2 * MIB,
      cut: (sent) => {
        if (!killed && sent >= 9 * MIB) {
          killed = true;
          one.child.kill('SIGKILL');
        }
        return false;
      },
    });
    expect(killed).toBe(true);
    expect(first.error).toBeDefined();
    const id = first.url!.split('/').pop()!;
    // Instance 1's lock on the upload lapses after its ttl (10 s); instance 2 then takes it over.
    const started = Date.now();
    const resumed = await send(two.url, bytes, meta(h), { uploadUrl: `${two.url}/files/${id}`, chunkSize: 2 * MIB });
    expect(resumed.error).toBeUndefined();
    expect(resumed.firstProgress).toBeGreaterThanOrEqual(4 * MIB);
    expect(resumed.last?.getHeader('Fieldlink-Sha256')).toBe(h);
    console.log(`resumed on instance 2 ${((Date.now() - started) / 1000).toFixed(1)} s after the kill, from byte ${resumed.firstProgress} of ${bytes.length}`);
    const listed = (await receipts(two.url)).filter((r) => r.sha256 === h);
    expect(listed).toHaveLength(1);
    expect(bucketKeys().segments.filter((k) => k.endsWith(h))).toHaveLength(1);
    // A restarted instance 1 takes the receipts the other stored into its own index.
    one = await startInstance('one');
    expect((await receipts(one.url)).map((r) => r.seq)).toEqual((await receipts(two.url)).map((r) => r.seq));
    await stopInstance(one);
    await stopInstance(two);
  }, 90_000);
});
