import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callNames, eventNames, type PreloadBridge } from '../../../shared/api.ts';
import { createApp, type App } from '../../../electron/core/app.ts';
import { createLogger } from '../../../electron/core/log/index.ts';
import { createIpcClient } from '../../../renderer/transport/ipc.ts';
import { ConsoleSinks } from '../../../renderer/stores/console.ts';
import { wireEvents } from '../../../renderer/stores/events.ts';
import { runningJobs } from '../../../renderer/stores/status.ts';
import { createAppStore } from '../../../renderer/stores/store.ts';

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
    // The closed core answers every call with the internal-error sentence; the window shows it with a next step.
    expect(store.getState().loadError).toMatchObject({
      code: 'INTERNAL',
      sentence: 'Something went wrong inside Fieldlink.',
      next: 'Try again; if it keeps happening, send the log file to support.',
    });
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
