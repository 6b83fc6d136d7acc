import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTokens, startCollector } from '../../../collector/index.ts';
import { createApp, type App } from '../app.ts';
import { createLogger } from '../log/index.ts';
import { Redactor, SegmentSink, SegmentStore } from '../logs/index.ts';

const TOKEN = 'handlers-token-0123456789abcdef';
const open: { app: App; dir: string }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
});

function core() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-sync-calls-'));
  const app = createApp({ host: 'cli', dataDir: dir, logger: createLogger({ level: 'silent' }) });
  const events: string[] = [];
  app.bus.onAny((name, payload) => events.push(`${name} ${JSON.stringify(payload)}`));
  open.push({ app, dir });
  return { app, events };
}

describe('logs.* calls', () => {
  it('say what is missing before a sync: the collector, then the token', async () => {
    const { app } = core();
    await expect(app.dispatch('logs.sync', {})).resolves.toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/No collector/) } });
    app.updateSettings({ collectorUrl: 'http://127.0.0.1:9' });
    await expect(app.dispatch('logs.sync', {})).resolves.toMatchObject({ ok: false, error: { code: 'AUTH_FAILED', message: expect.stringMatching(/token/) } });
  });

  it('keep the token write-only: listed as set, never returned, never in an event; empty forgets it', async () => {
    const { app, events } = core();
    await app.dispatch('logs.setToken', { token: TOKEN });
    const r = await app.dispatch('logs.list', {});
    expect(r).toMatchObject({ ok: true, value: { tokenSet: true, segments: [], truncated: false } });
    expect(JSON.stringify(r)).not.toContain(TOKEN);
    expect(events.join('\n')).not.toContain(TOKEN);
    await app.dispatch('logs.setToken', { token: '' });
    await expect(app.dispatch('logs.list', {})).resolves.toMatchObject({ ok: true, value: { tokenSet: false } });
  });

  it('run one sync at a time as a job that can be cancelled, leaving the collector unjudged', async () => {
    const { app } = core();
    app.updateSettings({ collectorUrl: 'http://127.0.0.1:9' });
    await app.dispatch('logs.setToken', { token: TOKEN });
    // Something to send, so the job is still trying (the collector is not there) when the second call comes.
    const store = new SegmentStore({ dataDir: app.dataDir, db: app.db, quotaBytes: () => 1e9 });
    const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL1', source: 'journald', start: null });
    await sink.line('hello', 'c1', Date.now());
    await sink.finish();

    const first = await app.dispatch('logs.sync', {});
    expect(first.ok).toBe(true);
    const jobId = (first as { value: { jobId: string } }).value.jobId;
    await expect(app.dispatch('logs.sync', {})).resolves.toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    app.jobs.cancel(jobId);
    await expect.poll(() => app.jobs.list().find((j) => j.id === jobId)?.state, { timeout: 10_000 }).toBe('cancelled');
    expect(app.status().collector.since).toBeNull();
    expect(app.status().outbox.segments).toBe(1);
  });
});

describe('background sync', () => {
  it('sends what waits by itself once the collector answers, and says when it does not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-autosync-'));
    const collector = await startCollector({ dir: path.join(dir, 'collector'), tokens: parseTokens(`tech ${TOKEN}\n`), port: 0, log: pino({ level: 'silent' }) });
    const app = createApp({ host: 'browser', dataDir: path.join(dir, 'data'), logger: createLogger({ level: 'silent' }), autoSyncMs: 200 });
    open.push({ app, dir });
    try {
      const store = new SegmentStore({ dataDir: app.dataDir, db: app.db, quotaBytes: () => 1e9 });
      const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL2', source: 'journald', start: null });
      await sink.line('waiting for the uplink', 'c1', Date.now());
      await sink.finish();
      await app.dispatch('logs.setToken', { token: TOKEN });

      app.updateSettings({ collectorUrl: 'http://127.0.0.1:9' });
      await expect.poll(() => app.status().collector.since, { timeout: 10_000 }).not.toBeNull();
      expect(app.status().collector.online).toBe(false);
      expect(app.status().outbox.segments).toBe(1);

      app.updateSettings({ collectorUrl: collector.url });
      await expect.poll(() => app.status().outbox.segments, { timeout: 15_000 }).toBe(0);
      expect(app.status().collector.online).toBe(true);
      expect(app.jobs.list().filter((j) => j.kind === 'sync' && j.state === 'done')).toHaveLength(1);
    } finally {
      await collector.close();
    }
  });
});
