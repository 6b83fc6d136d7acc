import path from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, protocol, safeStorage, session, shell, type Session, type WebContents } from 'electron';
import { createApp } from './core/app.ts';
import { resolveDataDir } from './core/config/index.ts';
import { createLogger, detailsInLog, logFilePath, type Logger } from './core/log/index.ts';
import type { Sealer } from './core/secrets/index.ts';
import { FieldlinkError } from '../shared/errors.ts';
import { allowedExternalUrl } from '../shared/links.ts';
import { appUrlMatcher, bindIpc, type IpcBinding } from './ipc.ts';
import { contentSecurityPolicy, securityHeaders, staticResponse } from './web/index.ts';

// Defined by Forge's Vite plugin at build time; absent when this file runs unbundled (tests).
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string | undefined;

/** The UI is served from a privileged custom scheme rather than file://, so it has a real origin to check. */
const SCHEME = 'fieldlink';
const APP_BASE = `${SCHEME}://app`;

const devServer = typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' && MAIN_WINDOW_VITE_DEV_SERVER_URL ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
const rendererDir = path.join(import.meta.dirname, '..', 'renderer', typeof MAIN_WINDOW_VITE_NAME === 'string' ? MAIN_WINDOW_VITE_NAME : 'main_window');
const isAppUrl = appUrlMatcher(devServer ?? APP_BASE);
const headers = securityHeaders(contentSecurityPolicy({ devServer }));

protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // One core per data folder: a second launch hands over to the first window and leaves.
  app.quit();
} else {
  // The same data folder as the CLI; the log goes to a rotating file in it (there is no terminal).
  const dataDir = resolveDataDir();
  const log = createLogger({ file: logFilePath(dataDir) });
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  app
    .whenReady()
    .then(() => start(dataDir, log))
    .catch((err: unknown) => fail(err, dataDir, log));
}

function start(dataDir: string, log: Logger): void {
  const core = createApp({ host: 'electron', dataDir, logger: log, sealer: keychainSealer() });
  lockDownSession(session.defaultSession);
  protocol.handle(SCHEME, (request) => staticResponse(rendererDir, request, headers));
  const ipc = bindIpc({ app: core, ipcMain, isAppUrl });
  let win = createWindow(ipc);

  app.on('second-instance', () => {
    if (win.isDestroyed()) win = createWindow(ipc);
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) win = createWindow(ipc);
  });
  app.on('render-process-gone', (_event, _contents, details) => {
    log.error({ reason: details.reason, exitCode: details.exitCode }, "electron: the window's renderer process is gone");
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    ipc.dispose();
    void core.close();
  });
}

function fail(err: unknown, dataDir: string, log: Logger): void {
  log.fatal({ err }, 'electron: Fieldlink cannot start');
  const message = err instanceof Error ? err.message : String(err);
  dialog.showErrorBox('Fieldlink cannot start', `${message}\n\nCheck that the data folder ${dataDir} is writable, then start Fieldlink again. ${detailsInLog(log)}`);
  app.exit(1);
}

function createWindow(ipc: IpcBinding): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Fieldlink',
    webPreferences: {
      preload: path.join(import.meta.dirname, 'preload.cjs'),
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
      safeDialogs: true,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  ipc.attach(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devServer ?? `${APP_BASE}/index.html`);
  return win;
}

/** Every web contents, whoever made it: no navigation away, no new windows, no webviews. */
function lockDown(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfAllowed(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url)) return;
    event.preventDefault();
    openExternalIfAllowed(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * No camera, microphone, location, notifications, USB, HID or Web Serial for the page (serial
 * cables are the core's business). Writing to the clipboard is allowed for the app's own page, so
 * the technician can copy a fingerprint or a log line.
 */
function lockDownSession(ses: Session): void {
  ses.setPermissionRequestHandler((contents, permission, callback) => {
    callback(permission === 'clipboard-sanitized-write' && isAppUrl(contents.getURL()));
  });
  ses.setPermissionCheckHandler((contents, permission) => permission === 'clipboard-sanitized-write' && contents !== null && isAppUrl(contents.getURL()));
  ses.setDevicePermissionHandler(() => false);
  // The dev server's pages get the same CSP as the packaged app's protocol responses.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [headers['Content-Security-Policy']!] } });
  });
  ses.on('will-download', (event) => event.preventDefault());
}

/**
 * Secrets sealed by the OS keychain through safeStorage. Without a real keychain (Linux with no
 * secret service reports 'basic_text', a fixed obfuscation key) the core's 0600 key file is the
 * stronger choice, so undefined is returned and the core uses that.
 */
function keychainSealer(): Sealer | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  if (process.platform === 'linux' && ['basic_text', 'unknown'].includes(safeStorage.getSelectedStorageBackend())) return undefined;
  return {
    kind: 'keychain',
    // base64 because safeStorage takes strings and secrets are bytes.
    seal: (plain) => safeStorage.encryptString(plain.toString('base64')),
    open: (sealed) => {
      try {
        return Buffer.from(safeStorage.decryptString(sealed), 'base64');
      } catch {
        throw new FieldlinkError('STORAGE', "A stored secret cannot be opened with this computer's keychain; enter it again.");
      }
    },
  };
}

function openExternalIfAllowed(url: string): boolean {
  const allowed = allowedExternalUrl(url);
  if (allowed === null) return false;
  void shell.openExternal(allowed);
  return true;
}
