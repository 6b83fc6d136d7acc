import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../electron/core/app.ts';
import { collectBox, parseSource, SegmentStore } from '../../electron/core/logs/index.ts';
import { syncOutbox } from '../../electron/core/sync/index.ts';
import type { Shell } from '../../electron/core/transport/index.ts';
import { REPO, lab, labStatus } from './helpers.ts';

/**
 * Logs collected from box-03 over SSH go to the real collector (bin/fieldlink-collector.js) running
 * in the lab's fl-cloud namespace, across the lab's uplink: with the uplink cut nothing is lost and
 * everything stays waiting; once it is back, every segment arrives exactly once, and a second sync
 * sends nothing.
 */
const BOX = 'box-03';
const TOKEN = `lab-sync-${process.pid}-0123456789abcdef`;

async function startCloudCollector(dir: string, host: string): Promise<{ url: string; proc: ChildProcess }> {
  fs.writeFileSync(path.join(dir, 'tokens'), `tech ${TOKEN}\n`, { mode: 0o600 });
  const args = ['netns', 'exec', 'fl-cloud', process.execPath, path.join(REPO, 'bin', 'fieldlink-collector.js')];
  const proc = spawn('ip', [...args, '--host', host, '--port', '0', '--dir', path.join(dir, 'store'), '--tokens', path.join(dir, 'tokens')], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the collector did not start within 20 s')), 20_000);
    readline.createInterface({ input: proc.stdout! }).once('line', (l) => (clearTimeout(timer), resolve(l)));
    proc.once('exit', (code) => reject(new Error(`the collector exited ${code}`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, proc };
}

describe(`log sync from ${BOX} to the collector in fl-cloud`, () => {
  let app: App;
  let shell: Shell;
  let store: SegmentStore;
  let collector: { url: string; proc: ChildProcess };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-logs-sync-'));

  const receipts = async () => {
    const r = await fetch(`${collector.url}/receipts?since=0`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    return ((await r.json()) as { receipts: { sha256: string }[] }).receipts.map((x) => x.sha256);
  };

  beforeAll(async () => {
    const s = await labStatus();
    const box = s.boxes.find((b) => b.name === BOX && b.power === 'on');
    if (!box) throw new Error(`${BOX} is not on`);
    collector = await startCloudCollector(dir, s.collector.ip);
    app = createApp({ dataDir: path.join(dir, 'laptop'), host: 'test' });
    shell = await app.connections.shell(`ssh://root@${box.ip}`, { mode: 'accept-new', password: box.password });
    store = new SegmentStore({ dataDir: app.dataDir, db: app.db, quotaBytes: () => app.settings.get().quotaBytes, log: app.log });
    const r = await collectBox(shell, store, { boxId: box.serial, sources: [parseSource('journald'), parseSource('dmesg')] });
    expect(r.failed).toEqual([]);
  }, 90_000);

  afterAll(async () => {
    await lab('net', 'uplink', '--up');
    collector?.proc.kill('SIGTERM');
    await shell?.close();
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps everything waiting while the uplink is cut, then delivers each segment once', async () => {
    const hashes = store.list().map((s) => s.hash);
    expect(hashes.length).toBeGreaterThan(0);

    expect((await lab('net', 'uplink', '--down')).code).toBe(0);
    const cut = await syncOutbox(store, { collector: collector.url, token: TOKEN, attempts: 2, retryBaseMs: 100 });
    expect(cut.stoppedBy?.code).toBe('LINK_DOWN');
    expect(cut.waiting).toBe(hashes.length);
    expect((await lab('net', 'uplink', '--up')).code).toBe(0);

    const t0 = Date.now();
    const up = await syncOutbox(store, { collector: collector.url, token: TOKEN });
    console.log(`sync: ${up.uploaded} segments, ${up.bytes} bytes to ${collector.url} in ${Date.now() - t0} ms`);
    expect(up).toMatchObject({ uploaded: hashes.length, duplicates: 0, refused: [], stoppedBy: null, waiting: 0 });
    const got = await receipts();
    for (const h of hashes) expect(got.filter((x) => x === h)).toHaveLength(1);
    expect(got).toHaveLength(hashes.length);
  }, 120_000);

  it('a second sync sends nothing, and collecting again sends only what is new', async () => {
    expect(await syncOutbox(store, { collector: collector.url, token: TOKEN })).toMatchObject({ uploaded: 0, bytes: 0, waiting: 0 });
    const before = (await receipts()).length;
    const again = await collectBox(shell, store, { boxId: store.list()[0]!.boxId, sources: [parseSource('journald')] });
    const r = await syncOutbox(store, { collector: collector.url, token: TOKEN });
    expect(r.uploaded).toBe(again.sources.reduce((n, s) => n + s.segments.length, 0));
    expect((await receipts()).length).toBe(before + r.uploaded);
  }, 60_000);
});
