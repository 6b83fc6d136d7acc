import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp, type App } from '../../electron/core/app.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import { startWebHost, DEFAULT_RENDERER_DIR, type WebHost } from '../../electron/web.ts';
import { ensureRendererBuilt as buildRendererIfStale } from '../../electron/web/renderer-build.ts';
import type { Box } from '../../shared/model.ts';
import type { SightingInput } from '../../electron/core/db/inventory.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');

/** Debian's Chromium, headless, with nothing that phones home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The renderer as `npm test` builds it; built here when missing or older than its sources (a test run on its own). */
export async function ensureRendererBuilt(): Promise<void> {
  const r = await buildRendererIfStale({ outDir: DEFAULT_RENDERER_DIR, progress: (line) => process.stderr.write(`${line}\n`) });
  if (r === 'failed' || r === 'no-sources') throw new Error(`The UI could not be built for the browser suites (${r}); run npm run build:renderer to see why.`);
}

/** What the page did that a Fieldlink window must never do, collected for one assertion at the end. */
export interface Offences {
  consoleErrors: string[];
  pageErrors: string[];
  foreignRequests: string[];
  cspViolations: string[];
}

export interface Harness {
  dir: string;
  app: App;
  host: WebHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  offences: Offences;
  close(): Promise<void>;
}

/** A real core on a throwaway data folder, the real browser host, and a fresh headless Chromium on it. */
/**
 * The UI really connects when asked (a Console tab on a seeded box dials its address). These suites
 * therefore run in a network namespace of their own with only loopback, where a dial to a box
 * address fails at once and nothing leaves the machine: `npm test` arranges it.
 */
export function assertNetworkIsolated(): void {
  const routes = fs
    .readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim());
  if (routes.length > 0) {
    throw new Error(
      "The e2e suites must run without any network route (only loopback). Run them through `npm test`, or as: unshare --net sh -c 'ip link set lo up && exec npx vitest run --project e2e'",
    );
  }
}

/** For the Chromium suites that drive the UI against the edge-box lab: only ever from fl-tech. */
export function assertInTechNamespace(): void {
  const routes = fs.readFileSync('/proc/net/route', 'utf8');
  // fl-tech's LAN is 10.77.0.0/24: 0x00004D0A in the kernel's little-endian hex.
  if (!/\t00004D0A\t/.test(routes)) throw new Error('This suite drives the UI against the lab: run it inside the technician namespace (ip netns exec fl-tech …).');
}

/**
 * `lab: true` for suites that run in fl-tech against the lab; otherwise the page may reach nothing but
 * loopback. `dataDir` reopens a data folder an earlier harness used (kept at close), as a restart does.
 */
export async function startHarness(opts: { lab?: boolean; dataDir?: string } = {}): Promise<Harness> {
  if (opts.lab) assertInTechNamespace();
  else assertNetworkIsolated();
  await ensureRendererBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-e2e-'));
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  const app = createApp({ host: 'browser', dataDir, logger: createLogger({ level: 'warn' }) });
  const host = await startWebHost({ app });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const offences: Offences = { consoleErrors: [], pageErrors: [], foreignRequests: [], cspViolations: [] };

  // Every request (pages, scripts, fonts, the WebSocket) must go to the host's own 127.0.0.1 origin.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== host.origin) {
      offences.foreignRequests.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  await context.exposeBinding('__flCspViolation', (_src, text: string) => void offences.cspViolations.push(text));
  // A string, not a function: this file is type-checked for Node, without the DOM's types.
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => {
      window.__flCspViolation(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')');
    });`,
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') offences.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => offences.pageErrors.push(String(e)));
  page.on('websocket', (ws) => {
    const u = new URL(ws.url());
    if (u.hostname !== '127.0.0.1' || u.port !== String(host.port)) offences.foreignRequests.push(ws.url());
  });
  page.on('request', (r) => {
    if (new URL(r.url()).hostname !== '127.0.0.1') offences.foreignRequests.push(r.url());
  });

  return {
    dir,
    app,
    host,
    browser,
    context,
    page,
    offences,
    async close() {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await host.close().catch(() => {});
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records a sighting as discovery would, and tells the UI the way the core will: a box.changed event. */
export function seedBox(app: App, s: SightingInput): Box {
  const box = app.inventory.recordSighting(s);
  app.bus.emit('box.changed', box);
  return box;
}

export async function shot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // Wait for the bundled font, so screenshots show what the technician sees, not a fallback.
  await page.evaluate('document.fonts.ready.then(() => undefined)');
  await page.screenshot({ path: file });
  return file;
}

/**
 * Ticks exactly these boxes (by id) in the Fleet. Rows re-sort while discovery updates them, so a
 * click can land on the row that just moved under it, and a box can have a second row under the same
 * name (its cable, before the two are known to be one box): tick and untick by row until the ticked
 * set is the wanted one.
 */
export async function pickBoxes(page: Page, ids: string[], timeoutMs = 15_000): Promise<void> {
  const want = new Set(ids);
  const box = (id: string) => page.locator(`.table-row[data-box-id="${id}"] input[type="checkbox"]`);
  const until = Date.now() + timeoutMs;
  for (;;) {
    for (const id of ids)
      await box(id)
        .setChecked(true, { timeout: 5_000 })
        .catch(() => undefined);
    const rows = await page.locator('.table-row[data-box-id]').evaluateAll((els) =>
      els.map((e) => ({
        id: e.getAttribute('data-box-id') ?? '',
        on: Boolean((e.querySelector('input[type="checkbox"]') as { checked?: boolean } | null)?.checked),
        text: e.textContent?.slice(0, 80) ?? '',
      })),
    );
    const wrong = rows.filter((r) => r.on !== want.has(r.id));
    if (wrong.length === 0 && rows.filter((r) => r.on).length === want.size) return;
    if (Date.now() > until) throw new Error(`the Fleet would not tick ${ids.join(', ')}; its rows:\n${rows.map((r) => `${r.on ? '[x]' : '[ ]'} ${r.id}: ${r.text}`).join('\n')}`);
    for (const r of wrong)
      await box(r.id)
        .setChecked(want.has(r.id), { timeout: 2_000 })
        .catch(() => undefined);
  }
}
