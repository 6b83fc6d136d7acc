import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Upload, type HttpResponse } from 'tus-js-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from './server.ts';
import { checkAuthorization, loadTokens, parseTokens } from './tokens.ts';

const TOKEN = 'alice-token-0123456789abcdef';
const BIN = path.resolve(import.meta.dirname, '../bin/fieldlink-collector.js');
const MIB = Number(process.env.FL_COLLECTOR_TEST_MIB ?? 50);
const silent = pino({ level: 'silent' });

let tmp: string;
let dir: string;
let tokensFile: string;
let collector: Collector | undefined;
const children: ChildProcess[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-collector-'));
  dir = path.join(tmp, 'data');
  tokensFile = path.join(tmp, 'tokens');
  fs.writeFileSync(tokensFile, `alice ${TOKEN}\nbob bob-token-0123456789abcdef 2000-01-01T00:00:00Z\n`, { mode: 0o600 });
});

afterEach(async () => {
  await collector?.close();
  collector = undefined;
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const meta = (hash: string, extra: Record<string, string> = {}) => ({
  sha256: hash,
  box: 'box-01',
  source: 'journald',
  from: '2026-12-01T10:00:00Z',
  to: '2026-12-01T11:00:00Z',
  filename: 'seg.zst',
  ...extra,
});

interface Sent {
  url: string | null;
  error?: Error & { originalResponse?: HttpResponse | null };
  last?: HttpResponse;
}

function send(
  endpoint: string,
  data: Buffer | fs.ReadStream,
  metadata: Record<string, string>,
  opts: { token?: string | null; uploadUrl?: string; chunkSize?: number; onProgress?: (sent: number, up: Upload) => void; size?: number } = {},
): Promise<Sent> {
  return new Promise((resolve) => {
    let last: HttpResponse | undefined;
    const headers: Record<string, string> = opts.token === null ? {} : { Authorization: `Bearer ${opts.token ?? TOKEN}` };
    const up: Upload = new Upload(data, {
      endpoint: `${endpoint}/files`,
      uploadUrl: opts.uploadUrl,
      metadata,
      headers,
      retryDelays: [],
      chunkSize: opts.chunkSize ?? Infinity,
      uploadSize: opts.size,
      storeFingerprintForResuming: false,
      onAfterResponse: (_req, res) => {
        last = res;
      },
      onProgress: (sent) => opts.onProgress?.(sent, up),
      onSuccess: () => resolve({ url: up.url, last }),
      onError: (error) => resolve({ url: up.url, error: error as Sent['error'], last }),
    });
    up.start();
  });
}

function filesUnder(d: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  if (!fs.existsSync(d)) return { count, bytes };
  for (const e of fs.readdirSync(d, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      count++;
      bytes += fs.statSync(path.join(e.parentPath, e.name)).size;
    }
  }
  return { count, bytes };
}

const auth = { Authorization: `Bearer ${TOKEN}` };

async function receipts(url: string, since = 0) {
  const r = await fetch(`${url}/receipts?since=${since}`, { headers: auth });
  expect(r.status).toBe(200);
  return (await r.json()) as { receipts: { sha256: string; size: number; box: string; technician: string }[]; next: number };
}

describe('collector over real HTTP with tus-js-client', () => {
  it('an upload arrives once and the receipt lists it; the read API returns it', async () => {
    collector = await startCollector({ dir, tokens: loadTokens(tokensFile), port: 0, log: silent });
    const bytes = crypto.randomBytes(300_000);
    const h = sha(bytes);
    const out = await send(collector.url, bytes, meta(h));
    expect(out.error).toBeUndefined();
    expect(out.last?.getHeader('Fieldlink-Segment')).toBe('stored');
    const r = await receipts(collector.url);
    expect(r.receipts.map((x) => [x.sha256, x.size, x.technician])).toEqual([[h, bytes.length, 'alice']]);
    expect(fs.readFileSync(path.join(dir, 'segments', h.slice(0, 2), h)).equals(bytes)).toBe(true);
    const head = await fetch(`${collector.url}/segments/${h}`, { method: 'HEAD', headers: auth });
    expect([head.status, head.headers.get('content-length'), head.headers.get('fieldlink-box')]).toEqual([200, String(bytes.length), 'box-01']);
    const got = Buffer.from(await (await fetch(`${collector.url}/segments/${h}`, { headers: auth })).arrayBuffer());
    expect(got.equals(bytes)).toBe(true);
    const list = (await (await fetch(`${collector.url}/segments?box=box-01&from=2026-12-01T10:30:00Z&to=2026-12-01T12:00:00Z`, { headers: auth })).json()) as {
      segments: { sha256: string }[];
    };
    expect(list.segments.map((s) => s.sha256)).toEqual([h]);
    const none = (await (await fetch(`${collector.url}/segments?box=box-01&from=2026-12-02T00:00:00Z`, { headers: auth })).json()) as { segments: unknown[] };
    expect(none.segments).toEqual([]);
    expect(filesUnder(path.join(dir, 'uploads')).count).toBe(0);
  });

  it('a second upload of the same bytes stores nothing new (creation short-circuits with the receipt)', async () => {
    collector = await startCollector({ dir, tokens: loadTokens(tokensFile), port: 0, log: silent });
    const bytes = crypto.randomBytes(100_000);
    const h = sha(bytes);
    expect((await send(collector.url, bytes, meta(h))).error).toBeUndefined();
    const before = filesUnder(dir + '/segments');
    const again = await send(collector.url, bytes, meta(h));
    // tus-js-client reports the 200 (no Location) as an error: the sync engine reads the header.
    expect(again.error?.originalResponse?.getStatus()).toBe(200);
    expect(again.error?.originalResponse?.getHeader('Fieldlink-Segment')).toBe('stored');
    expect(filesUnder(dir + '/segments')).toEqual(before);
    expect(filesUnder(path.join(dir, 'uploads')).count).toBe(0);
    expect((await receipts(collector.url)).receipts).toHaveLength(1);
  });

  it('two uploads of one hash racing both finish and store it once (dedupe at finish)', async () => {
    collector = await startCollector({ dir, tokens: loadTokens(tokensFile), port: 0, log: silent });
    const bytes = crypto.randomBytes(2_000_000);
    const h = sha(bytes);
    const outs = await Promise.all([send(collector.url, bytes, meta(h)), send(collector.url, bytes, meta(h))]);
    expect(outs.map((o) => o.last?.getHeader('Fieldlink-Segment')).sort()).toEqual(['duplicate', 'stored']);
    expect(filesUnder(dir + '/segments')).toEqual({ count: 1, bytes: bytes.length });
    expect(filesUnder(path.join(dir, 'uploads')).count).toBe(0);
  });

  it('a wrong hash is refused with 460 and nothing is stored', async () => {
    collector = await startCollector({ dir, tokens: loadTokens(tokensFile), port: 0, log: silent });
    const bytes = crypto.randomBytes(50_000);
    const out = await send(collector.url, bytes, meta('0'.repeat(64)));
    expect(out.error?.originalResponse?.getStatus()).toBe(460);
    expect(out.error?.originalResponse?.getBody()).toContain('HASH_MISMATCH');
    expect(filesUnder(dir + '/segments').count).toBe(0);
    expect(filesUnder(path.join(dir, 'uploads')).count).toBe(0);
    expect((await receipts(collector.url)).receipts).toEqual([]);
  });

  it('a missing, malformed, wrong or expired token is 401 with a clear message', async () => {
    collector = await startCollector({ dir, tokens: loadTokens(tokensFile), port: 0, log: silent });
    const bytes = crypto.randomBytes(1000);
    const cases: [string | null, string][] = [
      [null, 'Missing collector token'],
      ['short', 'Malformed collector token'],
      ['mallory-token-0123456789abcdef', 'Wrong collector token'],
      ['bob-token-0123456789abcdef', 'expired at 2000-01-01T00:00:00.000Z'],
    ];
    for (const [token, message] of cases) {
      const out = await send(collector.url, bytes, meta(sha(bytes)), { token });
      expect(out.error?.originalResponse?.getStatus(), String(token)).toBe(401);
      expect(out.error?.originalResponse?.getBody()).toContain(message);
      const r = await fetch(`${collector.url}/receipts`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
      expect(r.status).toBe(401);
    }
    expect(filesUnder(dir + '/uploads').count + filesUnder(dir + '/segments').count).toBe(0);
  });

  it('metadata that tries path traversal is refused 400 and nothing is written outside DIR', async () => {
    collector = await startCollector({ dir, tokens: loadTokens(tokensFile), port: 0, log: silent });
    const bytes = crypto.randomBytes(1000);
    const h = sha(bytes);
    const outsideBefore = fs.readdirSync(tmp).sort();
    const bads: Record<string, string>[] = [
      { filename: '../../evil' },
      { box: '../x' },
      { source: 'a/b' },
      { filename: '..\\..\\evil' },
      { box: 'box\u0000' },
      { sha256: `../${h.slice(3)}` },
      { id: '../../x' },
    ];
    for (const bad of bads) {
      const out = await send(collector.url, bytes, meta(h, bad));
      expect(out.error?.originalResponse?.getStatus(), JSON.stringify(bad)).toBe(400);
      expect(out.error?.originalResponse?.getBody()).toContain('BAD_METADATA');
    }
    expect(fs.readdirSync(tmp).sort()).toEqual(outsideBefore);
    expect(filesUnder(dir + '/uploads').count + filesUnder(dir + '/segments').count).toBe(0);
    // A hand-made request with a traversing upload id is not a tus path at all.
    const r = await fetch(`${collector.url}/files/..%2F..%2Fevil`, {
      method: 'PATCH',
      headers: { ...auth, 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: 'x',
    });
    expect(r.status).toBe(404);
    expect((await fetch(`${collector.url}/segments/..%2Fcatalog.sqlite`, { headers: auth })).status).toBe(400);
  });
});

function startChild(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, '--port', '0', '--dir', dir, '--tokens', tokensFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FIELDLINK_LOG: 'warn' },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`collector exited ${code}: ${err}`)));
  });
}

function peakRssKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

describe('the collector process', () => {
  it('an upload cut by kill -9 mid-upload resumes from its offset after a restart and completes once', async () => {
    const file = path.join(tmp, 'seg.bin');
    const bytes = crypto.randomBytes(16 << 20);
    fs.writeFileSync(file, bytes);
    const h = sha(bytes);
    const first = await startChild();
    let killed = false;
    const cut = await send(first.url, fs.createReadStream(file), meta(h), {
      chunkSize: 1 << 20,
      onProgress: (sent) => {
        if (!killed && sent >= 6 << 20) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(cut.error).toBeDefined();
    const id = cut.url!.split('/').pop()!;
    const second = await startChild();
    const head = await fetch(`${second.url}/files/${id}`, { method: 'HEAD', headers: { ...auth, 'Tus-Resumable': '1.0.0' } });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(5 << 20);
    expect(offset).toBeLessThan(bytes.length);
    let firstProgress = -1;
    const resumed = await send(second.url, fs.createReadStream(file), meta(h), {
      uploadUrl: `${second.url}/files/${id}`,
      chunkSize: 1 << 20,
      onProgress: (s) => (firstProgress = firstProgress < 0 ? s : firstProgress),
    });
    expect(resumed.error).toBeUndefined();
    expect(firstProgress).toBeGreaterThanOrEqual(offset); // progress starts at the resumed offset: nothing re-sent from 0
    const r = await receipts(second.url);
    expect(r.receipts.map((x) => [x.sha256, x.size])).toEqual([[h, bytes.length]]);
    expect(filesUnder(dir + '/segments')).toEqual({ count: 1, bytes: bytes.length });
    expect(filesUnder(dir + '/uploads').count).toBe(0);
    second.child.kill('SIGTERM');
    const code = await new Promise((res) => second.child.once('exit', res));
    expect(code).toBe(0);
  }, 60_000);

  it('a 50 MiB upload keeps the collector RSS bounded', async () => {
    const file = path.join(tmp, 'big.bin');
    const fd = fs.openSync(file, 'w');
    const hash = crypto.createHash('sha256');
    for (let i = 0; i < MIB; i++) {
      const mib = crypto.randomBytes(1 << 20);
      hash.update(mib);
      fs.writeSync(fd, mib);
    }
    fs.closeSync(fd);
    const h = hash.digest('hex');
    const { child, url } = await startChild();
    const base = peakRssKiB(child.pid!);
    const out = await send(url, fs.createReadStream(file), meta(h), { chunkSize: 8 << 20 });
    expect(out.error).toBeUndefined();
    const peak = peakRssKiB(child.pid!);
    console.log(`collector peak RSS: ${(base / 1024).toFixed(1)} MiB idle, ${(peak / 1024).toFixed(1)} MiB after a ${MIB} MiB upload`);
    expect(filesUnder(dir + '/segments')).toEqual({ count: 1, bytes: MIB << 20 });
    // Bounded by the request chunks in flight, not the segment: 50 MiB grew RSS by ~50 MiB, 200 MiB by ~74 MiB.
    expect(peak - base).toBeLessThan(100 * 1024);
  }, 60_000);
});

describe('tokens', () => {
  it('refuses a tokens file others can read, and never echoes a token', () => {
    const f = path.join(tmp, 'open');
    fs.writeFileSync(f, `alice ${TOKEN}\n`, { mode: 0o644 });
    fs.chmodSync(f, 0o644);
    expect(() => loadTokens(f)).toThrow(/readable by others \(mode 644\); run chmod 600/);
    expect(() => parseTokens('{"alice": "short"}')).toThrow(/must be 16–512/);
    const e = parseTokens(`[{"technician":"alice","token":"${TOKEN}"}]`);
    const bad = checkAuthorization('Bearer wrong-token-0123456789abcdef', e);
    expect(bad).toEqual({ ok: false, reason: expect.stringContaining('Wrong collector token') as unknown });
    expect(JSON.stringify(bad)).not.toContain('wrong-token');
    expect(checkAuthorization(`Bearer ${TOKEN}`, e)).toEqual({ ok: true, technician: 'alice' });
  });
});
