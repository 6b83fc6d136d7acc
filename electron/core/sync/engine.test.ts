import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens, startCollector, type Collector } from '../../../collector/index.ts';
import { openDatabase } from '../db/index.ts';
import { Outbox } from '../db/outbox.ts';
import { Redactor, SegmentSink, SegmentStore } from '../logs/index.ts';
import { syncOutbox } from './engine.ts';

const TOKEN = 'alice-token-0123456789abcdef';
let tmp: string;
let collector: Collector;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-sync-engine-'));
  collector = await startCollector({ dir: path.join(tmp, 'collector'), tokens: parseTokens(`alice ${TOKEN}\n`), port: 0, log: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await collector?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A laptop's store with one segment per source, collected from one box. */
async function laptop(name: string, sources: string[]) {
  const dataDir = path.join(tmp, name);
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(path.join(dataDir, 'fieldlink.db'));
  const store = new SegmentStore({ dataDir, db, quotaBytes: () => 1e9 });
  for (const source of sources) {
    const sink = new SegmentSink(store, new Redactor(), { boxId: `FL-${name}`, source, start: null });
    for (let i = 0; i < 200; i++) await sink.line(`${name} ${source} line ${i} token=abc${i}`, `c${i}`, Date.UTC(2026, 11, 2, 10, 0, i));
    await sink.finish();
  }
  return { store, db };
}

async function receipts(): Promise<string[]> {
  const r = await fetch(`${collector.url}/receipts?since=0`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return ((await r.json()) as { receipts: { sha256: string }[] }).receipts.map((x) => x.sha256);
}

describe('syncOutbox against a real collector on 127.0.0.1', () => {
  it('sends every waiting segment once, paths in sources included, and a second sync sends nothing', async () => {
    const { store, db } = await laptop('a', ['journald', 'file:/var/log/k3s.log', 'dmesg']);
    const hashes = store.list().map((s) => s.hash);
    expect(hashes).toHaveLength(3);
    const outbox = new Outbox(db);
    expect(outbox.summary()).toEqual({ segments: 3, bytes: store.usage().waitingBytes });
    const progress: number[] = [];
    const first = await syncOutbox(store, { collector: collector.url, token: TOKEN, onProgress: (p) => progress.push(p.done) });
    expect(first).toMatchObject({ uploaded: 3, duplicates: 0, refused: [], stoppedBy: null, waiting: 0 });
    expect(first.bytes).toBe(store.list().reduce((n, s) => n + s.bytes, 0));
    expect(progress.at(-1)).toBe(3);
    expect(store.list().every((s) => s.syncState === 'synced' && s.syncedAt)).toBe(true);
    expect(outbox.summary()).toEqual({ segments: 0, bytes: 0 });
    const got = await receipts();
    for (const h of hashes) expect(got.filter((x) => x === h)).toHaveLength(1);

    const second = await syncOutbox(store, { collector: collector.url, token: TOKEN });
    expect(second).toMatchObject({ uploaded: 0, duplicates: 0, bytes: 0, waiting: 0 });
    expect((await receipts()).length).toBe(got.length);
  });

  it('a segment another laptop already sent costs no bytes and is marked synced', async () => {
    const one = await laptop('b1', ['journald']);
    const two = await laptop('b1-copy', []);
    // The same bytes under the same name, as a second laptop that collected the same range holds them.
    const row = one.store.list()[0]!;
    await syncOutbox(one.store, { collector: collector.url, token: TOKEN });
    fs.mkdirSync(path.dirname(two.store.pathOf(row.hash)), { recursive: true });
    fs.copyFileSync(one.store.pathOf(row.hash), two.store.pathOf(row.hash));
    two.store.catalogue({ ...row, syncState: 'waiting', uploadUrl: null, syncedAt: null }, row.rangeTo);
    const r = await syncOutbox(two.store, { collector: collector.url, token: TOKEN });
    expect(r).toMatchObject({ uploaded: 0, duplicates: 1, bytes: 0, waiting: 0 });
  });

  it('stops at a collector that is not there, keeps everything waiting, and the next sync completes', async () => {
    const { store } = await laptop('c', ['journald', 'dmesg']);
    const down = await syncOutbox(store, { collector: 'http://127.0.0.1:9', token: TOKEN, attempts: 2, retryBaseMs: 10 });
    expect(down.stoppedBy?.code).toBe('LINK_DOWN');
    expect(down.stoppedBy?.message).toMatch(/stays in the outbox/);
    expect(down).toMatchObject({ uploaded: 0, waiting: 2 });
    const up = await syncOutbox(store, { collector: collector.url, token: TOKEN });
    expect(up).toMatchObject({ uploaded: 2, stoppedBy: null, waiting: 0 });
  });

  it('stops at a wrong token with AUTH_FAILED, sending nothing', async () => {
    const { store } = await laptop('d', ['journald', 'dmesg']);
    const r = await syncOutbox(store, { collector: collector.url, token: 'wrong-token-0000000000000000' });
    expect(r.stoppedBy?.code).toBe('AUTH_FAILED');
    expect(r).toMatchObject({ uploaded: 0, waiting: 2 });
  });

  it('never sends a segment whose bytes rotted on disk: the collector refuses it, and it is marked damaged', async () => {
    const { store } = await laptop('e', ['journald', 'dmesg']);
    const [bad, good] = store.list();
    const file = store.pathOf(bad!.hash);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    const r = await syncOutbox(store, { collector: collector.url, token: TOKEN });
    expect(r.uploaded).toBe(1);
    expect(r.refused.map((x) => x.hash)).toEqual([bad!.hash]);
    expect(store.get(bad!.hash)!.problem).toBe('hash');
    expect(store.get(good!.hash)!.syncState).toBe('synced');
    expect(await receipts()).not.toContain(bad!.hash);
    expect((await syncOutbox(store, { collector: collector.url, token: TOKEN })).refused).toEqual([]);
  });
});
