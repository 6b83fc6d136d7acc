import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callNames, eventChannel, eventNames, type PreloadBridge } from '../../../shared/api.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import { createApp, type App } from '../../../electron/core/app.ts';
import { createIpcClient } from '../../../renderer/transport/ipc.ts';

vi.mock('electron', () => import('./stub-electron.ts'));
const stub = await import('./stub-electron.ts');
const { appUrlMatcher, bindIpc } = await import('../../../electron/ipc.ts');

describe('preload bridge and IPC, end to end through the typed client', () => {
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
    await import('../../../electron/preload.ts');
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

  it('answers calls with values, and failures as FieldlinkError with the code', async () => {
    const client = createIpcClient(bridge);
    expect((await client.call('app.info', {})).host).toBe('test');
    const err = await client.call('boxes.get', { id: 'SN-NONE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FieldlinkError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.call('settings.set', { theme: 'neon' } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.call('no.such' as never, {} as never)).rejects.toMatchObject({ code: 'UNKNOWN_CALL' });
    expect(client.connection.getState()).toMatchObject({ status: 'connected', transport: 'ipc' });
  });

  it('refuses input that is not plain data with BAD_REQUEST', async () => {
    const client = createIpcClient(bridge);
    await expect(client.call('settings.set', { site: (() => 'x') as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('delivers events as bare payloads (never the IPC event) and unsubscribes', async () => {
    const client = createIpcClient(bridge);
    const got: unknown[][] = [];
    const raw: unknown[][] = [];
    const offRaw = bridge.events['settings.changed']((...args: unknown[]) => raw.push(args));
    const off = client.on('settings.changed', (s) => got.push([s.site]));
    core.updateSettings({ site: 'Basement B2' });
    expect(got).toEqual([['Basement B2']]);
    expect(raw).toHaveLength(1);
    expect(raw[0]).toHaveLength(1);
    off();
    offRaw();
    expect(contents.renderer.listenerCount(eventChannel('settings.changed'))).toBe(0);
    core.updateSettings({ site: 'Roof' });
    expect(got).toHaveLength(1);
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
