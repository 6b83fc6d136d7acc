import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokens, startCollector, type Collector } from '../../collector/index.ts';
import { Redactor, SegmentSink, SegmentStore } from '../../electron/core/logs/index.ts';
import { shot, startHarness, type Harness } from './helpers.ts';

/**
 * The Logs view in Chromium against a real collector on 127.0.0.1: collected segments listed by box
 * and source (box text as text), the token kept through the form, Sync now as a job with its line,
 * rows turning Synced and the status bar's outbox emptying; the collector holds each segment once.
 */
const TOKEN = 'e2e-collector-token-0123456789';
const EVIL_SOURCE = 'file:/var/log/<img src=x onerror="window.__pwned=1">.log';

describe('Logs view: collected segments and Sync now, in Chromium', () => {
  let h: Harness;
  let collector: Collector;
  let store: SegmentStore;

  beforeAll(async () => {
    h = await startHarness();
    collector = await startCollector({ dir: path.join(h.app.dataDir, '..', 'collector'), tokens: parseTokens(`tech ${TOKEN}\n`), port: 0, log: pino({ level: 'silent' }) });
    store = new SegmentStore({ dataDir: h.app.dataDir, db: h.app.db, quotaBytes: () => 1e9 });
    for (const source of ['journald', 'dmesg', EVIL_SOURCE]) {
      const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL26AM9CW2D', source, start: null });
      for (let i = 0; i < 50; i++) await sink.line(`${source} line ${i} password=hunter${i}`, `c${i}`, Date.UTC(2026, 11, 3, 8, 0, i));
      await sink.finish();
    }
    h.app.updateSettings({ collectorUrl: collector.url });
  });
  afterAll(async () => {
    await h?.close();
    await collector?.close();
  });

  it('lists what waits, keeps the token, syncs once, and the outbox empties', async () => {
    await h.page.goto(h.host.url);
    await h.page.click('nav [data-nav="logs"]');
    const table = h.page.getByRole('table', { name: 'Collected logs' });
    await table.getByText(EVIL_SOURCE).waitFor();
    await expect(table.locator('tbody tr').count()).resolves.toBe(3);
    await expect(table.getByText('Waiting').count()).resolves.toBe(3);
    await expect(h.page.locator('.logs img').count()).resolves.toBe(0);
    await h.page.getByText('Outbox: 3 segments').waitFor();

    await h.page.getByLabel('Your collector token').fill(TOKEN);
    await h.page.getByRole('button', { name: 'Keep token' }).click();
    await h.page.getByLabel('Your collector token').waitFor({ state: 'detached' });
    expect(h.app.secrets.get('collector-token')).toBe(TOKEN);

    await h.page.getByRole('button', { name: 'Sync now' }).click();
    await h.page.getByRole('status', { name: 'Sync' }).getByText('Sync done').waitFor({ timeout: 30_000 });
    await expect.poll(() => table.getByText('Synced').count(), { timeout: 10_000 }).toBe(3);
    await h.page.getByText('Outbox empty').waitFor();
    await h.page.getByText(/Reachable since/).waitFor();
    await shot(h.page, 'logs-synced');
    const r = await fetch(`${collector.url}/receipts?since=0`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const hashes = ((await r.json()) as { receipts: { sha256: string }[] }).receipts.map((x) => x.sha256);
    expect(hashes.sort()).toEqual(
      store
        .list()
        .map((s) => s.hash)
        .sort(),
    );
    await expect(h.page.evaluate('window.__pwned')).resolves.toBeUndefined();
  });

  it('says plainly when the collector cannot be reached, and nothing is lost', async () => {
    const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL26AM9CW2D', source: 'journald', start: null });
    await sink.line('one more line', 'c-more', Date.UTC(2026, 11, 3, 9));
    await sink.finish();
    h.app.updateSettings({ collectorUrl: 'http://127.0.0.1:9' });
    await h.page.click('nav [data-nav="fleet"]');
    await h.page.click('nav [data-nav="logs"]');
    await h.page.getByRole('table', { name: 'Collected logs' }).getByText('Waiting').waitFor();
    await h.page.getByRole('button', { name: 'Sync now' }).click();
    const line = h.page.getByRole('status', { name: 'Sync' });
    await line.getByText('Sync stopped').waitFor({ timeout: 90_000 });
    await expect(line.textContent()).resolves.toMatch(/stays in the outbox/);
    await h.page.getByText('Outbox: 1 segment').waitFor();
    await h.page.getByText(/Not reachable since/).waitFor();
    await shot(h.page, 'logs-offline');
  }, 120_000);
});
