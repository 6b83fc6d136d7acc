/**
 * Runs inside a child Node process, before the bundled main.js: points `electron` at the stub, lets
 * the bundle start, and prints what it did as one JSON line. Used by bundle.test.ts.
 */
import { registerHooks } from 'node:module';

const stubUrl = new URL('./stub-electron.ts', import.meta.url).href;
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'electron') return { url: stubUrl, shortCircuit: true, format: 'module' };
    return next(specifier, context);
  },
});

const stub = await import(stubUrl);
setTimeout(() => stub.app.fireReady(), 10);
const started = Date.now();
// The poll is fire-and-forget: it reports and exits the process itself.
const timer = setInterval(() => void poll(), 20);
async function poll(): Promise<void> {
  if (stub.BrowserWindow.all.length === 0 && Date.now() - started < 20_000) return;
  clearInterval(timer);
  const win = stub.BrowserWindow.all[0];
  const handler = stub.recorded.protocolHandlers.get('fieldlink');
  const index = handler ? await handler(new Request('fieldlink://app/index.html')) : null;
  const escape = handler ? await handler(new Request('fieldlink://app/..%2F..%2Fpackage.json')) : null;
  const contents = win?.webContents;
  const info = contents ? await stub.ipcMain.invokeFrom(contents, contents.mainFrame, 'fieldlink:call:app.info', {}) : null;
  const report = {
    info,
    window: win ? { loadedUrl: win.loadedUrl, webPreferences: win.options.webPreferences } : null,
    channels: [...stub.ipcMain.handlers.keys()],
    index: index ? { status: index.status, csp: index.headers.get('content-security-policy'), body: await index.text() } : null,
    escape: escape ? { status: escape.status } : null,
  };
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
  stub.app.emit('will-quit');
  process.exit(0);
}
