import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callNames, eventChannel, eventNames, type PreloadBridge } from '../shared/api.ts';
import { createApp, type App } from './core/app.ts';

vi.mock('electron', () => import('./testing/stub-electron.ts'));
const stub = await import('./testing/stub-electron.ts');
const { appUrlMatcher, bindIpc } = await import('./ipc.ts');

describe('preload bridge and IPC, end to end as the page sees them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-preload-'));
  let core: App;
  let bridge: PreloadBridge;
  let dispose: () => void;
  const contents = new stub.StubWebContents();

  beforeAll(async () => {
    core = createApp({ host: 'test', dataDir: dir });
    const ipc = bindIpc({ app: core, ipcMain: stub.ipcMain as never, isAppUrl: appUrlMatcher('fieldlink://app') });
    dispose = ipc.dispose;
    contents.mainFrame.url = 'fieldlink://app/index.html';
    ipc.attach(contents as never);
    stub.preloadContext.contents = contents;
    await import('./preload.ts');
    bridge = stub.exposed.fieldlink as PreloadBridge;
  });
  afterAll(async () => {
    dispose();
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exposes exactly one function per contract call and event, and no generic channel access', () => {
    expect(Object.keys(stub.exposed)).toEqual(['fieldlink']);
    expect(Object.keys(bridge).sort()).toEqual(['calls', 'events']);
    expect(Object.keys(bridge.calls).sort()).toEqual([...callNames].sort());
    expect(Object.keys(bridge.events).sort()).toEqual([...eventNames].sort());
    for (const f of [...Object.values(bridge.calls), ...Object.values(bridge.events)]) expect(typeof f).toBe('function');
    const flat = JSON.stringify(Object.keys(bridge)) + JSON.stringify(Object.keys(bridge.calls));
    expect(flat).not.toMatch(/invoke|send|ipc/i);
  });

  // The typed client over this bridge (renderer/transport/ipc.ts) is tested on the renderer side
  // against the same PreloadBridge type; here the bridge itself answers, as the page sees it.
  it('answers calls with plain result values, failures with the code and no stack', async () => {
    const info = await bridge.calls['app.info']({});
    expect(info).toMatchObject({ ok: true, value: { host: 'test' } });
    expect(await bridge.calls['boxes.get']({ id: 'SN-NONE' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const bad = await bridge.calls['settings.set']({ theme: 'neon' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.stringify(bad)).not.toMatch(/at .*\.ts:\d+/);
    expect((bridge.calls as Record<string, unknown>)['no.such']).toBeUndefined();
  });

  it('refuses input that is not plain data with BAD_REQUEST', async () => {
    expect(await bridge.calls['settings.set']({ site: () => 'x' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'The input of settings.set is not plain data.' },
    });
  });

  it('delivers events as bare payloads (never the IPC event) and unsubscribes', () => {
    const raw: unknown[][] = [];
    const off = bridge.events['settings.changed']((...args: unknown[]) => raw.push(args));
    core.updateSettings({ site: 'Basement B2' });
    expect(raw).toHaveLength(1);
    expect(raw[0]).toHaveLength(1);
    expect(raw[0]![0]).toMatchObject({ site: 'Basement B2' });
    off();
    expect(contents.renderer.listenerCount(eventChannel('settings.changed'))).toBe(0);
    core.updateSettings({ site: 'Roof' });
    expect(raw).toHaveLength(1);
    expect(() => bridge.events['box.changed']('not a function' as never)).toThrow(TypeError);
  });

  it('stops sending events to a window that navigated away from the app', () => {
    const listener = vi.fn();
    const off = bridge.events['settings.changed'](listener);
    contents.mainFrame.url = 'https://evil.example/';
    core.updateSettings({ site: 'Elsewhere' });
    contents.mainFrame.url = 'fieldlink://app/index.html';
    off();
    expect(listener).not.toHaveBeenCalled();
  });
});
