import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens, startCollector, type Collector } from '../../../collector/index.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import { probeCollector } from './probe.ts';
import { Throttle } from './throttle.ts';
import { backoffMs, uploadSegment, type UploadableSegment, type UploadOptions } from './uploader.ts';

const TOKEN = 'alice-token-0123456789abcdef';
const MIB = 1 << 20;
let tmp: string;
let collector: Collector;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-sync-'));
  collector = await startCollector({ dir: tmp, tokens: parseTokens(`alice ${TOKEN}\n`), port: 0, log: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await collector?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface TestSegment extends UploadableSegment {
  opened: number;
}

function segment(bytes: Buffer, hash = crypto.createHash('sha256').update(bytes).digest('hex')): TestSegment {
  const seg: TestSegment = {
    hash,
    box: 'box-01',
    source: 'journald',
    from: '2026-12-01T10:00:00Z',
    to: '2026-12-01T11:00:00Z',
    size: bytes.length,
    opened: 0,
    open() {
      seg.opened++;
      return Readable.from(
        (function* () {
          for (let i = 0; i < bytes.length; i += 64 << 10) yield bytes.subarray(i, i + (64 << 10));
        })(),
      );
    },
  };
  return seg;
}

function options(extra: Partial<UploadOptions> = {}) {
  const seen = { urls: [] as string[], progress: [] as number[], progressBeforeUrl: false };
  const o: UploadOptions = {
    collector: collector.url,
    token: TOKEN,
    onUrl: (u) => seen.urls.push(u),
    onProgress: (sent) => {
      if (seen.urls.length === 0 && sent > 0) seen.progressBeforeUrl = true;
      seen.progress.push(sent);
    },
    retryBaseMs: 20,
    ...extra,
  };
  return { o, seen };
}

async function receiptsFor(hash: string) {
  const r = await fetch(`${collector.url}/receipts?since=0`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return ((await r.json()) as { receipts: { sha256: string }[] }).receipts.filter((x) => x.sha256 === hash);
}

async function failure(p: Promise<unknown>): Promise<FieldlinkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FieldlinkError);
  return err as FieldlinkError;
}

describe('uploadSegment against a real collector on 127.0.0.1', () => {
  it('uploads a segment, persists its URL before any byte, and returns the receipt with the matching hash', async () => {
    const seg = segment(crypto.randomBytes(1_500_000));
    const { o, seen } = options();
    const out = await uploadSegment(seg, o);
    expect(out).toEqual({ receipt: expect.any(Number) as unknown, duplicate: false });
    expect(seen.urls).toHaveLength(1);
    expect(seen.progressBeforeUrl).toBe(false);
    expect(seen.progress.at(-1)).toBe(seg.size);
    expect(await receiptsFor(seg.hash)).toHaveLength(1);
  });

  it('a second upload of the same segment costs no bytes: HEAD /segments answers first', async () => {
    const seg = segment(crypto.randomBytes(200_000));
    const first = await uploadSegment(seg, options().o);
    const opened = seg.opened;
    const { o, seen } = options();
    const again = await uploadSegment(seg, o);
    expect(again).toEqual({ receipt: first.receipt, duplicate: true });
    expect([seg.opened - opened, seen.urls.length, seen.progress.length]).toEqual([0, 0, 0]);
    expect(await receiptsFor(seg.hash)).toHaveLength(1);
  });

  it('an upload aborted mid-way resumes from the persisted URL, from its offset, and arrives once', async () => {
    const seg = segment(crypto.randomBytes(12 * MIB));
    const ac = new AbortController();
    const cut = options({ signal: ac.signal, onProgress: (sent) => sent >= 5 * MIB && ac.abort() });
    const err = await failure(uploadSegment(seg, cut.o));
    expect(err.code).toBe('ABORTED');
    expect(cut.seen.urls).toHaveLength(1);
    const resumeUrl = cut.seen.urls[0]!;
    const head = await fetch(resumeUrl, { method: 'HEAD', headers: { Authorization: `Bearer ${TOKEN}`, 'Tus-Resumable': '1.0.0' } });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    const { o, seen } = options({ resumeUrl });
    const out = await uploadSegment(seg, o);
    expect(out.duplicate).toBe(false);
    expect(seen.urls).toEqual([]); // same upload, no new one created
    expect(Math.min(...seen.progress)).toBeGreaterThanOrEqual(offset); // nothing before the offset re-sent
    expect(await receiptsFor(seg.hash)).toHaveLength(1);
  }, 30_000);

  it('a wrong token is AUTH_FAILED with a sentence saying what to do, and is not retried', async () => {
    const seg = segment(crypto.randomBytes(1000));
    const started = Date.now();
    const err = await failure(uploadSegment(seg, options({ token: 'mallory-token-0123456789abcdef', retryBaseMs: 5000 }).o));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toMatch(/refused the token.*Check the collector token in Settings/);
    expect(err.message).not.toContain('mallory-token');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('bytes that do not match their hash are refused: STORAGE / HASH_MISMATCH, nothing stored', async () => {
    const seg = segment(crypto.randomBytes(10_000), 'a'.repeat(64));
    const err = await failure(uploadSegment(seg, options().o));
    expect([err.code, err.details?.reason]).toEqual(['STORAGE', 'HASH_MISMATCH']);
    expect(err.message).toMatch(/damaged.*re-collect/);
    expect(await receiptsFor(seg.hash)).toEqual([]);
  });

  it('a collector that is not there is LINK_DOWN after the retries, with their randomized waits', async () => {
    const port = await closedPort();
    const seg = segment(crypto.randomBytes(1000));
    const started = Date.now();
    const err = await failure(uploadSegment(seg, options({ collector: `http://127.0.0.1:${port}`, attempts: 3, retryBaseMs: 100 }).o));
    expect(err.code).toBe('LINK_DOWN');
    expect(err.message).toMatch(/after 3 tries \(last: ECONNREFUSED\).*stays in the outbox/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // waits of [50,100] then [100,200] ms
  });

  it('the bandwidth cap holds: 2 MB at 1 MB/s takes about 2 s', async () => {
    const seg = segment(crypto.randomBytes(2_000_000));
    const started = Date.now();
    await uploadSegment(seg, options({ bytesPerSecond: 1_000_000 }).o);
    const s = (Date.now() - started) / 1000;
    console.log(`2 MB at a 1 MB/s cap took ${s.toFixed(2)} s`);
    expect(s).toBeGreaterThan(1.8);
    expect(s).toBeLessThan(3.5);
  });
});

describe('probeCollector', () => {
  it('online with a good token; offline with a reason for a wrong token or no collector', async () => {
    expect(await probeCollector(collector.url, TOKEN)).toEqual({ online: true });
    expect(await probeCollector(collector.url, 'mallory-token-0123456789abcdef')).toEqual({ online: false, error: expect.stringMatching(/refused the token/) as unknown });
    const port = await closedPort();
    expect(await probeCollector(`http://127.0.0.1:${port}`, TOKEN)).toEqual({ online: false, error: expect.stringMatching(/refused the connection/) as unknown });
  });
});

describe('backoff and throttle', () => {
  it('backoff doubles per try, drawn from [w/2, w], capped at 60 s', () => {
    expect([0, 1, 2].map((n) => backoffMs(n, 1000, () => 0))).toEqual([500, 1000, 2000]);
    expect([0, 1, 2].map((n) => backoffMs(n, 1000, () => 1))).toEqual([1000, 2000, 4000]);
    expect(backoffMs(30, 1000, () => 1)).toBe(60_000);
  });

  it('the throttle lets the resumed offset through at once and paces the rest', async () => {
    const t = new Throttle(200_000, 1_000_000);
    const started = Date.now();
    let n = 0;
    for await (const c of Readable.from([Buffer.alloc(1_000_000), Buffer.alloc(100_000)]).pipe(t)) n += (c as Buffer).length;
    const ms = Date.now() - started;
    expect(n).toBe(1_100_000);
    expect(ms).toBeGreaterThan(400); // 100 kB at 200 kB/s
    expect(ms).toBeLessThan(1500);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
