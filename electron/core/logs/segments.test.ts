import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/index.ts';
import { CUT_MARKER, LineSplitter } from './lines.ts';
import { Redactor } from './redact.ts';
import { SegmentStore } from './segments.ts';
import { SegmentSink } from './sink.ts';

function tempStore(opts: { quota?: number; maxRaw?: number } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-logs-'));
  const db = openDatabase(path.join(dataDir, 'fieldlink.db'));
  const quota = { bytes: opts.quota ?? 2 * 1024 ** 3 };
  const store = new SegmentStore({ dataDir, db, quotaBytes: () => quota.bytes, maxRawBytes: opts.maxRaw });
  return { dataDir, db, store, quota };
}

async function collect(store: SegmentStore, lines: string[], opts: { source?: string; start?: string | null } = {}) {
  const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL1', source: opts.source ?? 'journald', start: opts.start ?? null });
  try {
    for (const [i, l] of lines.entries()) await sink.line(l, `pos-${i + 1}`, Date.UTC(2026, 11, 2, 10, 0, i));
    return await sink.finish();
  } catch (e) {
    sink.abort();
    throw e;
  }
}

const text = async (store: SegmentStore, hash: string) => {
  let s = '';
  for await (const c of store.readText(hash)) s += (c as Buffer).toString('utf8');
  return s;
};

afterEach(() => vi.restoreAllMocks());

describe('segment store', () => {
  it('writes a redacted, zstd segment named by the sha256 of its bytes, with its cursor', async () => {
    const { store, dataDir } = tempStore();
    const [seg] = await collect(store, ['hello', 'DB_PASS=hunter2 started', 'bye']);
    expect(seg).toBeDefined();
    const file = path.join(dataDir, 'segments', seg!.hash.slice(0, 2), `${seg!.hash}.zst`);
    const bytes = fs.readFileSync(file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(seg!.hash);
    expect(zlib.zstdDecompressSync(bytes).toString()).toBe('hello\nDB_PASS=[REDACTED:env-password] started\nbye\n');
    expect(await text(store, seg!.hash)).toContain('bye\n');
    expect(seg).toMatchObject({
      boxId: 'FL1',
      source: 'journald',
      rangeFrom: 'start',
      rangeTo: 'pos-3',
      lines: 3,
      bytes: bytes.length,
      redactions: { 'env-password': 1 },
      syncState: 'waiting',
    });
    expect(seg!.timeFrom).toBe('2026-12-02T10:00:00.000Z');
    expect(seg!.timeTo).toBe('2026-12-02T10:00:02.000Z');
    expect(store.cursor('FL1', 'journald')).toBe('pos-3');
    expect(fs.readdirSync(path.join(dataDir, 'segments', 'tmp'))).toEqual([]);
    expect(store.usage()).toMatchObject({ segments: 1, bytes: bytes.length, waitingSegments: 1 });
  });

  it('cuts segments at the raw cap, each moving the cursor to its last line', async () => {
    const { store } = tempStore({ maxRaw: 1000 });
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const segs = await collect(store, lines);
    expect(segs.length).toBeGreaterThan(4);
    expect(segs.reduce((a, s) => a + s.lines, 0)).toBe(100);
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.rangeFrom).toBe(segs[i - 1]!.rangeTo);
    let all = '';
    for (const s of [...segs]) all += await text(store, s.hash);
    expect(all).toBe(lines.map((l) => `${l}\n`).join(''));
  });

  it('recovery removes half-written and uncatalogued files and reports damaged segments without dropping them', async () => {
    const { store, dataDir, db } = tempStore();
    const [a] = await collect(store, ['one'], { source: 'a' });
    const [b] = await collect(store, ['two'], { source: 'b' });
    const [c] = await collect(store, ['three'], { source: 'c' });
    fs.writeFileSync(path.join(dataDir, 'segments', 'tmp', 'dead.tmp'), 'half');
    const orphan = path.join(dataDir, 'segments', 'ab', `${'ab'.repeat(32)}.zst`);
    fs.mkdirSync(path.dirname(orphan), { recursive: true });
    fs.writeFileSync(orphan, 'never catalogued');
    fs.rmSync(store.pathOf(a!.hash));
    fs.appendFileSync(store.pathOf(b!.hash), 'x');
    const cBytes = fs.readFileSync(store.pathOf(c!.hash));
    cBytes[cBytes.length - 1] = cBytes[cBytes.length - 1]! ^ 0xff;
    fs.writeFileSync(store.pathOf(c!.hash), cBytes);

    const quick = await new SegmentStore({ dataDir, db, quotaBytes: () => 1e9 }).recover();
    expect(quick).toMatchObject({ removedTemp: 1, removedOrphans: 1, checked: 3 });
    expect(quick.problems.map((p) => [p.hash, p.problem])).toEqual(
      expect.arrayContaining([
        [a!.hash, 'missing'],
        [b!.hash, 'size'],
      ]),
    );
    expect(quick.problems).toHaveLength(2);
    const full = await store.recover({ verifyHashes: true });
    expect(full.problems.map((p) => p.problem).sort()).toEqual(['hash', 'missing', 'size']);
    expect(store.problems()).toHaveLength(3);
    expect(store.list()).toHaveLength(3);
    expect(fs.existsSync(orphan)).toBe(false);
  });

  it('pauses at the quota with a STORAGE error, drops nothing stored and keeps the cursor', async () => {
    const { store, quota, dataDir } = tempStore({ maxRaw: 64 * 1024 });
    const [first] = await collect(store, ['kept line']);
    quota.bytes = first!.bytes + 2000;
    const noisy = Array.from({ length: 5000 }, (_, i) => `${i} ${createHash('sha256').update(String(i)).digest('base64')}`);
    const err = await collect(store, noisy, { start: 'pos-1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORAGE', details: { reason: 'quota', quota: quota.bytes } });
    expect((err as Error).message).toMatch(/nothing stored was dropped/);
    expect(fs.existsSync(store.pathOf(first!.hash))).toBe(true);
    expect(store.list()).toHaveLength(1);
    expect(store.cursor('FL1', 'journald')).toBe('pos-1');
    expect(fs.readdirSync(path.join(dataDir, 'segments', 'tmp'))).toEqual([]);
  });

  it('on a full disk removes the temp file, says so, and leaves the catalogue as it was', async () => {
    const { store, dataDir } = tempStore();
    await collect(store, ['before']);
    vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const err = await collect(store, ['after', 'more'], { start: 'pos-1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORAGE', details: { reason: 'disk-full' } });
    expect((err as Error).message).toMatch(/disk is full/);
    expect(store.list()).toHaveLength(1);
    expect(store.cursor('FL1', 'journald')).toBe('pos-1');
    expect(fs.readdirSync(path.join(dataDir, 'segments', 'tmp'))).toEqual([]);
  });

  it('refuses a second collection of the same source while one runs', async () => {
    const { store } = tempStore();
    const one = new SegmentSink(store, new Redactor(), { boxId: 'FL1', source: 'journald', start: null });
    expect(() => new SegmentSink(store, new Redactor(), { boxId: 'FL1', source: 'journald', start: null })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    one.abort();
    new SegmentSink(store, new Redactor(), { boxId: 'FL1', source: 'journald', start: null }).abort();
  });
});

describe('lines', () => {
  it('splits chunks into lines, keeps UTF-8 whole and cuts endless lines with a marker', () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l), 16);
    s.push(Buffer.from('ab\r\ncd'));
    s.push(Buffer.from('e\n'));
    s.push(Buffer.from('ééééééééééé\n'));
    s.end();
    expect(got[0]).toBe('ab');
    expect(got[1]).toBe('cde');
    expect(got.slice(2).join('').replaceAll(CUT_MARKER, '')).toBe('ééééééééééé');
    expect(got.slice(2).every((l) => !l.includes('\ufffd'))).toBe(true);
  });

  it('turns a 1 GiB line with no newline into bounded pieces with flat memory', async () => {
    const { store } = tempStore();
    const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL1', source: 'file:big', start: null });
    const queue: string[] = [];
    const splitter = new LineSplitter((l) => queue.push(l));
    const chunk = Buffer.alloc(1024 * 1024);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let warm = rss0;
    let pieces = 0;
    for (let i = 0; i < 1024; i++) {
      // Different bytes per MiB, so segments do not all share one hash.
      chunk.fill(`${i.toString(36)}-abcdefghijklmnopqrstuvwxyz0123456789 `);
      splitter.push(chunk);
      for (const l of queue.splice(0)) {
        pieces++;
        await sink.line(l, `off-${i}`);
      }
      if (i === 256) warm = process.memoryUsage().rss;
      if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    splitter.end();
    for (const l of queue.splice(0)) await sink.line(l, 'end');
    const segs = await sink.finish();
    expect(pieces).toBeGreaterThanOrEqual(1024 * 16 - 1);
    expect(segs.reduce((a, s) => a + s.rawBytes, 0)).toBeGreaterThan(1024 ** 3);
    const grew = (peak - rss0) / 1024 ** 2;
    const late = (peak - warm) / 1024 ** 2;
    console.log(`1 GiB line: ${pieces} pieces in ${segs.length} segments, rss grew ${grew.toFixed(0)} MiB (${late.toFixed(0)} MiB after the first 256 MiB)`);
    // The allocator keeps what the first segments' compressors freed; after that, memory is flat.
    expect(grew).toBeLessThan(200);
    expect(late).toBeLessThan(48);
  }, 120_000);
});
