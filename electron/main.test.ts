import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callChannel, callNames } from '../shared/api.ts';

vi.mock('electron', () => import('./testing/stub-electron.ts'));
const stub = await import('./testing/stub-electron.ts');

describe('Electron main process', () => {
  let win: InstanceType<typeof stub.BrowserWindow>;
  // The per-OS default folder, pointed somewhere harmless: the app shares it with the CLI.
  const xdg = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-xdg-'));
  const dataDir = path.join(xdg, 'fieldlink');

  beforeAll(async () => {
    delete process.env.FIELDLINK_DATA_DIR;
    process.env.XDG_DATA_HOME = xdg;
    await import('./main.ts');
    stub.app.fireReady();
    await vi.waitFor(() => expect(stub.BrowserWindow.all.length).toBe(1));
    win = stub.BrowserWindow.all[0]!;
  });
  afterAll(() => {
    stub.app.emit('will-quit', new stub.StubEvent());
    fs.rmSync(stub.app.userData, { recursive: true, force: true });
    fs.rmSync(xdg, { recursive: true, force: true });
    delete process.env.XDG_DATA_HOME;
  });

  it('sandboxes every renderer and registers its scheme as privileged before ready', () => {
    expect(stub.recorded.sandboxEnabled).toBe(true);
    expect(stub.recorded.privilegedSchemes).toEqual([{ scheme: 'fieldlink', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('opens the window with the whole security checklist', () => {
    const wp = win.options.webPreferences!;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
    });
    expect(path.basename(wp.preload!)).toBe('preload.cjs');
    expect(win.loadedUrl).toBe('fieldlink://app/index.html');
    expect(win.visible).toBe(true);
  });

  it('keeps its data in the same per-OS folder as the CLI, so both see one inventory', () => {
    expect(fs.existsSync(path.join(dataDir, 'fieldlink.db'))).toBe(true);
    expect(fs.existsSync(path.join(stub.app.userData, 'fieldlink.db'))).toBe(false);
  });

  it('seals secrets with the OS keychain when there is one, so no key file is written', () => {
    expect(fs.existsSync(path.join(dataDir, 'secret.key'))).toBe(false);
  });

  it('binds every contract call, and nothing else', () => {
    expect([...stub.ipcMain.handlers.keys()].sort()).toEqual(callNames.map(callChannel).sort());
  });

  it('denies navigation away from the app, webviews, and every new window', () => {
    const wc = win.webContents;
    expect(wc.navigate('https://evil.example/')).toBe(false);
    expect(wc.navigate('file:///etc/passwd')).toBe(false);
    expect(wc.navigate('fieldlink://evil/index.html')).toBe(false);
    expect(wc.navigate('https://evil.example/', 'will-frame-navigate')).toBe(false);
    expect(wc.navigate('http://127.0.0.1:1/', 'will-redirect')).toBe(false);
    expect(wc.navigate('fieldlink://app/index.html')).toBe(true);
    const webview = new stub.StubEvent();
    wc.emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);
    for (const url of ['https://evil.example/', 'fieldlink://app/index.html', 'https://kubernetes.io/docs/']) {
      expect(wc.windowOpenHandler!({ url } as never)).toEqual({ action: 'deny' });
    }
  });

  it('opens only allowlisted https links in the system browser', () => {
    const wc = win.webContents;
    stub.recorded.openedExternally.length = 0;
    wc.windowOpenHandler!({ url: 'https://kubernetes.io/docs/concepts/' } as never);
    wc.navigate('https://docs.k3s.io/installation');
    for (const url of [
      'http://kubernetes.io/',
      'https://kubernetes.io.evil.example/',
      'https://user@kubernetes.io/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'smb://host/share',
      'not a url',
    ]) {
      wc.windowOpenHandler!({ url } as never);
      wc.navigate(url);
    }
    expect(stub.recorded.openedExternally).toEqual(['https://kubernetes.io/docs/concepts/', 'https://docs.k3s.io/installation']);
  });

  it('denies permission requests and checks, except clipboard writes from the app page', () => {
    const results: boolean[] = [];
    for (const perm of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'display-capture',
      'clipboard-read',
      'serial',
      'usb',
      'hid',
      'local-network-access',
      'loopback-network',
    ]) {
      stub.recorded.permissionRequest!(win.webContents, perm, (g) => results.push(g), {});
      results.push(stub.recorded.permissionCheck!(win.webContents, perm, 'fieldlink://app', {}));
    }
    expect(results.every((g) => g === false)).toBe(true);
    expect(stub.recorded.devicePermission!({ deviceType: 'serial' })).toBe(false);

    let granted: boolean | null = null;
    stub.recorded.permissionRequest!(win.webContents, 'clipboard-sanitized-write', (g) => (granted = g), {});
    expect(granted).toBe(true);
    const stranger = new stub.StubWebContents();
    stranger.mainFrame.url = 'https://evil.example/';
    stub.recorded.permissionRequest!(stranger, 'clipboard-sanitized-write', (g) => (granted = g), {});
    expect(granted).toBe(false);
    expect(stub.recorded.permissionCheck!(null, 'clipboard-sanitized-write', '', {})).toBe(false);
  });

  it('serves the renderer over fieldlink:// with a CSP that names no remote origin, and refuses traversal', async () => {
    const handler = stub.recorded.protocolHandlers.get('fieldlink')!;
    const res = await handler(new Request('fieldlink://app/index.html'));
    // No renderer is built under electron/../renderer/main_window in a checkout: the plain page says what to do.
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:renderer');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/https?:|ws:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const post = await handler(new Request('fieldlink://app/index.html', { method: 'POST', body: 'x' }));
    expect(post.status).toBe(405);
  });

  it('adds the same CSP to responses from any other origin (the dev server)', () => {
    let out: Record<string, string[]> | undefined;
    stub.recorded.headersReceived!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (out = r.responseHeaders));
    expect(out!['X-Other']).toEqual(['1']);
    expect(out!['Content-Security-Policy']![0]).toContain("default-src 'self'");
  });

  it('refuses calls from a foreign sender: another page, a subframe, a window it did not make', async () => {
    const channel = callChannel('settings.get');
    const wc = win.webContents;
    const topOk = await stub.ipcMain.invokeFrom(wc, wc.mainFrame, channel, {});
    expect(topOk).toMatchObject({ ok: true });

    const foreignPage = new stub.StubFrame('https://evil.example/');
    expect(await stub.ipcMain.invokeFrom(wc, foreignPage, channel, {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const subframe = new stub.StubFrame('fieldlink://app/index.html', wc.mainFrame);
    expect(await stub.ipcMain.invokeFrom(wc, subframe, channel, {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await stub.ipcMain.invokeFrom(wc, null, channel, {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const stranger = new stub.StubWebContents();
    stranger.mainFrame.url = 'fieldlink://app/index.html';
    expect(await stub.ipcMain.invokeFrom(stranger, stranger.mainFrame, channel, {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('refuses bad payloads with typed errors and changes nothing', async () => {
    const wc = win.webContents;
    const set = callChannel('settings.set');
    const before = await stub.ipcMain.invokeFrom(wc, wc.mainFrame, callChannel('settings.get'), {});
    for (const bad of [{ theme: 'neon' }, { technician: 5 }, { unknownField: 1 }, 'string', 42, [1, 2]]) {
      const res = await stub.ipcMain.invokeFrom(wc, wc.mainFrame, set, bad);
      expect(res).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(JSON.stringify(res)).not.toMatch(/at .*\.ts:\d+/); // no stack traces cross the contract
    }
    expect(await stub.ipcMain.invokeFrom(wc, wc.mainFrame, set, { site: 'a' }, { extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await stub.ipcMain.invokeFrom(wc, wc.mainFrame, callChannel('settings.get'), {})).toEqual(before);
  });

  it('logs to the rotating file in the data folder (there is no terminal), with what it refused', () => {
    const log = fs.readFileSync(path.join(dataDir, 'logs', 'fieldlink.log'), 'utf8');
    const records = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; component?: string; url?: string });
    expect(records).toContainEqual(expect.objectContaining({ component: 'ipc', msg: 'ipc: refused a call from a foreign sender', url: 'https://evil.example' }));
  });

  it('forwards core events to the window while it shows the app page', async () => {
    const wc = win.webContents;
    wc.sent.length = 0;
    await stub.ipcMain.invokeFrom(wc, wc.mainFrame, callChannel('settings.set'), { site: 'Cell tower 12' });
    expect(wc.sent).toContainEqual({ channel: 'fieldlink:event:settings.changed', payload: expect.objectContaining({ site: 'Cell tower 12' }) });
    expect(wc.sent.every((m: { channel: string }) => m.channel.startsWith('fieldlink:event:'))).toBe(true);
  });
});
