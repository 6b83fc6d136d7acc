import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callNames, eventNames, type PreloadBridge } from '../../shared/api.ts';
import type { Box } from '../../shared/model.ts';
import { createApp, type App } from '../../electron/core/app.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import { createIpcClient } from '../transport/ipc.ts';
import { ConsoleSinks } from './console.ts';
import { wireEvents } from './events.ts';
import { countsSentence, fleetCounts, matchesQuery, sortForFleet } from './selectors.ts';
import { mergeJobs, runningJobs } from './status.ts';
import { createAppStore } from './store.ts';

/**
 * The store against a real core: the same client the Electron window uses (transport/ipc.ts), over a
 * bridge that calls the core's dispatcher and bus directly, as electron/preload.ts + ipc.ts do.
 */
let dir: string;
let app: App;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-store-'));
  app = createApp({ host: 'test', dataDir: dir, logger: createLogger({ level: 'silent' }) });
});
afterEach(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function bridgeTo(a: App): PreloadBridge {
  const calls = Object.fromEntries(callNames.map((n) => [n, (input: unknown) => a.dispatch(n, input)])) as PreloadBridge['calls'];
  const events = Object.fromEntries(eventNames.map((n) => [n, (l: (p: unknown) => void) => a.bus.on(n, l as never)])) as PreloadBridge['events'];
  return { calls, events };
}

const settle = (ms = 80) => new Promise((r) => setTimeout(r, ms));

describe('app store on a real core', () => {
  it('loads info, settings, status and the inventory in one go', async () => {
    app.inventory.recordSighting({ boxId: 'SN-1', source: 'mdns', address: '10.0.0.1', hostname: 'edge-01', state: 'new' });
    const store = createAppStore(createIpcClient(bridgeTo(app)));
    await store.getState().load();
    const s = store.getState();
    expect(s.loadError).toBeNull();
    expect(s.info?.host).toBe('test');
    expect(s.settings?.theme).toBe('light');
    expect(Object.keys(s.boxes)).toEqual(['SN-1']);
  });

  it('follows box, job and settings events through the one subscription point', async () => {
    const client = createIpcClient(bridgeTo(app));
    const store = createAppStore(client);
    const unwire = wireEvents(client, store, new ConsoleSinks());
    await store.getState().load();

    for (let i = 0; i < 50; i++) app.bus.emit('box.changed', app.inventory.recordSighting({ boxId: `SN-${i}`, source: 'sweep', address: `10.0.0.${i}`, hostname: `b-${i}` }));
    await settle();
    expect(Object.keys(store.getState().boxes)).toHaveLength(50);

    let finish: () => void = () => {};
    const { job } = app.jobs.start('discovery', 'Scanning 10.0.0.0/24', (ctx) => {
      ctx.progress(0.5, 'half way');
      return new Promise<void>((r) => (finish = r));
    });
    await settle(10);
    expect(runningJobs(store.getState().jobs).map((j) => j.id)).toEqual([job.id]);
    expect(store.getState().jobs[job.id]!.progress).toBe(0.5);
    finish();
    await settle(10);
    expect(runningJobs(store.getState().jobs)).toEqual([]);

    app.updateSettings({ site: 'Tower 9' });
    await settle(10);
    expect(store.getState().settings?.site).toBe('Tower 9');

    unwire();
    app.bus.emit('box.changed', app.inventory.recordSighting({ boxId: 'SN-late', source: 'manual', address: '10.0.1.1' }));
    await settle();
    expect(store.getState().boxes['SN-late']).toBeUndefined();
  });

  it('saves settings through the core and rolls the theme back when the core refuses', async () => {
    const store = createAppStore(createIpcClient(bridgeTo(app)));
    await store.getState().load();
    await store.getState().saveSettings({ theme: 'contrast', site: 'Plant 3' });
    expect(app.settings.get()).toMatchObject({ theme: 'contrast', site: 'Plant 3' });

    const refused = store.getState().saveSettings({ theme: 'dark', collectorUrl: 'not a url' });
    expect(store.getState().settings?.theme).toBe('dark'); // answers at once
    await expect(refused).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(store.getState().settings?.theme).toBe('contrast');
    expect(app.settings.get().theme).toBe('contrast');
  });

  it('shows a load failure as a typed error, not a blank window', async () => {
    const bridge = bridgeTo(app);
    await app.close();
    const store = createAppStore(createIpcClient(bridge));
    await store.getState().load();
    expect(store.getState().loadError?.code).toBeDefined();
    expect(store.getState().loaded).toBe(true);
    app = createApp({ host: 'test', dataDir: dir, logger: createLogger({ level: 'silent' }) });
  });

  it('keeps selection to boxes it knows and caps the notice list', async () => {
    const store = createAppStore(createIpcClient(bridgeTo(app)));
    store.getState().upsertBoxes([app.inventory.recordSighting({ boxId: 'A', source: 'manual', address: '10.0.0.1' })]);
    store.getState().setSelected(['A', 'ghost', 'A']);
    expect(store.getState().selected).toEqual(['A']);
    store.getState().toggleSelected('A');
    expect(store.getState().selected).toEqual([]);
    for (let i = 0; i < 10; i++) store.getState().notify(new Error('x'));
    expect(store.getState().notices.length).toBeLessThanOrEqual(4);
  });
});

const mk = (p: Partial<Box> & { id: string }): Box => ({
  hostname: p.id, serial: null, model: null, vendor: null, arch: null, addresses: [], consolePath: null, reach: 'lan', state: 'provisioned', trust: 'cable', health: 'healthy', k3sVersion: null, firstSeen: '', lastSeen: '', ...p,
});

describe('fleet selectors', () => {
  const boxes = [
    mk({ id: 'a', hostname: 'edge-10' }),
    mk({ id: 'b', hostname: 'edge-2', state: 'new', health: 'unknown' }),
    mk({ id: 'c', hostname: 'edge-3', trust: 'changed' }),
    mk({ id: 'd', hostname: 'edge-1', health: 'down', addresses: ['10.9.9.9'], serial: 'XK-77' }),
  ];
  it('counts in words as UX.md writes them', () => {
    expect(countsSentence(fleetCounts(boxes))).toBe('4 boxes: 1 healthy, 2 need attention, 1 new');
    expect(countsSentence(fleetCounts([]))).toBe('0 boxes');
    expect(countsSentence(fleetCounts([mk({ id: 'x', health: 'unknown' })]))).toBe('1 box');
  });
  it('puts a changed key first, then trouble, then new boxes, then the rest by natural name order', () => {
    expect(sortForFleet(boxes).map((b) => b.id)).toEqual(['c', 'd', 'b', 'a']);
  });
  it('searches every word across name, serial and address', () => {
    expect(boxes.filter((b) => matchesQuery(b, 'xk 10.9')).map((b) => b.id)).toEqual(['d']);
    expect(boxes.filter((b) => matchesQuery(b, '  ')).length).toBe(4);
  });
  it('never lets a late snapshot bring an ended job back to running', () => {
    const base = { kind: 'sync' as const, title: 't', progress: null, step: null, startedAt: '2026-01-01T00:00:00Z', endedAt: null, error: null };
    const ended = mergeJobs({}, [{ ...base, id: 'j', state: 'cancelled' }]);
    expect(mergeJobs(ended, [{ ...base, id: 'j', state: 'running' }]).j!.state).toBe('cancelled');
  });
  it('keeps running jobs and only the newest finished ones', () => {
    const job = (id: string, state: 'running' | 'done', t: number) => ({ id, kind: 'sync' as const, title: id, state, progress: null, step: null, startedAt: new Date(t).toISOString(), endedAt: null, error: null });
    let jobs = mergeJobs({}, [job('run', 'running', 0)]);
    for (let i = 1; i <= 80; i++) jobs = mergeJobs(jobs, [job(`d${i}`, 'done', i * 1000)]);
    expect(Object.keys(jobs)).toHaveLength(50);
    expect(jobs.run).toBeDefined();
    expect(jobs.d80).toBeDefined();
    expect(jobs.d1).toBeUndefined();
  });
});
