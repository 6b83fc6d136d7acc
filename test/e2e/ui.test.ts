import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../electron/core/app.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import { startHarness, seedBox, shot, SCREENSHOTS, type Harness } from './helpers.ts';

/**
 * The UI in real headless Chromium against the real browser host and a real core: it loads under the
 * host's CSP with nothing remote, every view renders, settings round-trip to the core's database,
 * and boxes recorded by the core appear live in the Fleet.
 */
// Waits on the DOM through a selector: waitForFunction would need eval, which the app's CSP forbids.
const themeIs = (theme: string) => `html[data-theme="${theme}"]`;

describe('Fieldlink UI in Chromium', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  const nav = (view: string) => h.page.click(`nav [data-nav="${view}"]`);

  it('loads under the CSP and shows the empty Fleet with its two next steps', async () => {
    const res = await h.page.goto(h.host.url);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    await h.page.getByText('No boxes yet. Connect to the site LAN or plug in a USB-serial cable.').waitFor();
    const empty = h.page.locator('.empty-state');
    await expect(empty.getByRole('button', { name: 'Scan subnet' }).isVisible()).resolves.toBe(true);
    await expect(empty.getByRole('button', { name: 'Add by address' }).isVisible()).resolves.toBe(true);
    // The session token must not stay in the address bar (screenshots, bookmarks).
    expect(h.page.url()).not.toContain('token=');
    await shot(h.page, 'fleet-empty');
  });

  it('scans a subnet the core accepts, after the core refused a /8, with progress to the end', async () => {
    await h.page.locator('.empty-state').getByRole('button', { name: 'Scan subnet' }).click();
    const dialog = h.page.getByRole('dialog', { name: 'Scan subnet' });
    // The core's one CIDR rule answers while typing; the renderer keeps no copy of it.
    await dialog.getByLabel('Subnet to scan').fill('10.0.0.0/8');
    await dialog
      .locator('#scan-hint.scan-refused')
      .getByText(/16,777,216 addresses, more than the \/16/)
      .waitFor();
    await expect(dialog.getByRole('button', { name: 'Scan', exact: true }).isDisabled()).resolves.toBe(true);
    // Only loopback in this namespace: 127/8 is where a scan may go, and nothing answers on 22 there.
    await dialog.getByLabel('Subnet to scan').fill('127.0.0.0/24');
    await dialog.getByText('127.0.0.0/24: 254 addresses (127.0.0.1 to 127.0.0.254) will be tried once each on ports 22 and 6443').waitFor();
    await shot(h.page, 'fleet-scan-dialog');
    const started = Date.now();
    await dialog.getByRole('button', { name: 'Scan 254 addresses' }).click();
    await dialog.getByRole('progressbar').waitFor();
    await dialog.getByText('Scanned 254 addresses · 0 boxes found').waitFor({ timeout: 15_000 });
    expect(Date.now() - started, 'refused connects on loopback end the scan quickly').toBeLessThan(10_000);
    await shot(h.page, 'fleet-scan-done');
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('saves the site name through settings.set and the core reads it back', async () => {
    await nav('settings');
    await h.page.getByLabel('Site name').fill('Plant 3 – Line B');
    await h.page.getByLabel('Collector address').fill('not a url');
    await h.page.getByRole('button', { name: 'Save settings' }).click();
    await h.page.getByText('Type a full address starting with https://').waitFor();
    await h.page.getByLabel('Collector address').fill('https://collector.example.test/files');
    await h.page.getByLabel('Disk quota for logs (GB)').fill('0,5');
    await h.page.getByRole('button', { name: 'Save settings' }).click();
    await h.page.getByRole('status').getByText('Saved.').waitFor();

    const got = await h.app.dispatch('settings.get', {});
    expect(got.ok && got.value).toMatchObject({ site: 'Plant 3 – Line B', collectorUrl: 'https://collector.example.test/files', quotaBytes: 512 * 1024 ** 2 });
    // And it is really on disk: a second core on the same data folder sees it.
    const fresh = createApp({ host: 'test', dataDir: h.app.dataDir, logger: createLogger({ level: 'silent' }) });
    try {
      expect(fresh.settings.get().site).toBe('Plant 3 – Line B');
    } finally {
      await fresh.close();
    }
    await shot(h.page, 'settings');
  });

  it('switches theme at once, stores it in the core, and keeps it after a reload', async () => {
    for (const theme of ['dark', 'contrast', 'light'] as const) {
      await h.page.click(`[data-theme-option="${theme}"]`);
      await h.page.locator(themeIs(theme)).waitFor({ state: 'attached' });
      await expect
        .poll(async () => {
          const r = await h.app.dispatch('settings.get', {});
          return r.ok ? (r.value as { theme: string }).theme : null;
        })
        .toBe(theme);
    }
    await h.page.click('[data-theme-option="dark"]');
    await expect.poll(async () => ((await h.app.dispatch('settings.get', {})) as { value: { theme: string } }).value.theme).toBe('dark');
    await h.page.reload();
    await h.page.locator(themeIs('dark')).waitFor({ state: 'attached' });
    await h.page.locator('nav [data-nav="fleet"]').waitFor();
  });

  it('shows boxes the core records live, box text as text, and the counts in words', async () => {
    await nav('fleet');
    const now = new Date().toISOString();
    seedBox(h.app, {
      boxId: 'SN-1001',
      source: 'mdns',
      address: '10.77.0.11',
      hostname: 'edge-01',
      serial: 'SN-1001',
      model: 'EB-200',
      vendor: 'Acme',
      arch: 'arm64',
      state: 'provisioned',
      k3sVersion: 'v1.30.4+k3s1',
      at: now,
    });
    h.app.inventory.setHealth('SN-1001', 'healthy');
    seedBox(h.app, { boxId: 'SN-1001', source: 'mdns', address: '10.77.0.11', at: now });
    seedBox(h.app, { boxId: 'SN-1002', source: 'serial', address: '/dev/ttyUSB0', hostname: 'edge-02', serial: 'SN-1002', model: 'EB-200', state: 'new', at: now });
    // A hostile box name: markup and a right-to-left override must show as inert text.
    seedBox(h.app, {
      boxId: 'SN-1003',
      source: 'sweep',
      address: '10.77.0.13',
      hostname: '<img src=x onerror="window.__pwned=1">\u202Eevil',
      serial: 'SN-1003',
      state: 'attention',
      at: now,
    });

    await h.page.locator('[data-box-id="SN-1003"]').waitFor();
    await h.page.getByTestId('fleet-counts').getByText('3 boxes: 1 healthy, 1 needs attention, 1 new').waitFor();
    await expect(h.page.locator('.table-scroll img').count()).resolves.toBe(0);
    await expect(h.page.evaluate('window.__pwned')).resolves.toBeUndefined();
    const hostile = await h.page.locator('[data-box-id="SN-1003"] .cell-strong').textContent();
    expect(hostile).toContain('<img src=x');
    expect(hostile).not.toContain('\u202E');
    // The row's main button follows its state.
    await expect(h.page.locator('[data-box-id="SN-1002"] .cell-action').textContent()).resolves.toBe('Provision');
    await expect(h.page.locator('[data-box-id="SN-1001"] .cell-action').textContent()).resolves.toBe('Open');

    for (const theme of ['light', 'dark', 'contrast'] as const) {
      await h.app.dispatch('settings.set', { theme });
      await h.page.locator(themeIs(theme)).waitFor({ state: 'attached' });
      await shot(h.page, `fleet-${theme}`);
    }
    await h.app.dispatch('settings.set', { theme: 'light' });
  });

  it('selects several boxes and carries them into the Provision wizard', async () => {
    await h.page.getByLabel('Select edge-01').check();
    await h.page.getByLabel('Select edge-02').check();
    await h.page.getByRole('button', { name: 'Provision 2 boxes' }).click();
    const table = h.page.getByRole('table', { name: 'Boxes to provision' });
    await table.getByText('edge-01').waitFor();
    await table.getByText('edge-02').waitFor();
    await h.page.getByRole('button', { name: 'Next: profile' }).waitFor();
    await shot(h.page, 'provision');
  });

  it('opens a box: header words, facts, and its audit trail in History', async () => {
    // Seeded in the tables: the core pins over trust.pin only a key it saw in a refused handshake.
    h.app.trust.pin({ host: '10.77.0.11', port: 22, keyType: 'ssh-ed25519', fingerprint: `SHA256:${'A'.repeat(43)}`, source: 'typed', boxId: 'SN-1001' });
    h.app.audit.record({ boxId: 'SN-1001', action: 'trust.pin', outcome: 'ok', detail: '10.77.0.11:22 ssh-ed25519 (typed)' });
    h.app.bus.emit('box.changed', h.app.inventory.get('SN-1001')!);
    await nav('fleet');
    await h.page.locator('[data-box-id="SN-1001"]').getByRole('button', { name: 'Open' }).click();
    await h.page.getByRole('heading', { name: 'edge-01' }).waitFor();
    await h.page.getByText('Pinned by hand').first().waitFor();
    // The box is not reachable from this test's namespace: the Health tab says where it stands.
    await h.page.getByTestId('health-banner').waitFor();
    await shot(h.page, 'box-health');
    await h.page.getByRole('tab', { name: 'Config' }).click();
    await h.page.getByText('v1.30.4+k3s1').waitFor();
    await shot(h.page, 'box-config');
    await h.page.getByRole('tab', { name: 'History' }).click();
    await h.page.getByRole('table', { name: 'History' }).getByText('Host key pinned').waitFor();
    await shot(h.page, 'box-history');
    await h.page.getByRole('tab', { name: 'Logs' }).click();
    await h.page.getByText('No logs collected from edge-01 yet.').waitFor();
  });

  it('opens a real terminal, and shows console.open’s typed error as a sentence and a next step', async () => {
    // The suite runs with only loopback: dialling edge-01's LAN address fails at once, as a pulled cable would.
    await h.page.getByRole('tab', { name: 'Console' }).click();
    await h.page.locator('.terminal-host .xterm').waitFor();
    const notice = h.page.locator('.console-panel [data-code="LINK_DOWN"]');
    await notice.waitFor();
    await notice.getByText('The link to the box is gone.').waitFor();
    await notice.getByText('Next:').waitFor();
    await h.page.getByText('Could not connect').waitFor();
    await h.page.getByRole('button', { name: 'Connect' }).waitFor();
    await shot(h.page, 'box-console');
  });

  it('navigates every view from the sidebar, the keyboard and the command palette', async () => {
    await nav('logs');
    await h.page.getByRole('heading', { name: 'Logs and sync' }).waitFor();
    await h.page.getByText('https://collector.example.test/files').waitFor();
    await shot(h.page, 'logs');
    await nav('console');
    await h.page.getByRole('heading', { name: 'Console', exact: true }).waitFor();
    await shot(h.page, 'console-pick');
    await h.page.getByRole('button', { name: /edge-02/ }).click();
    // edge-02 is known only by its cable, which is not plugged into this machine.
    await h.page
      .locator('.console-panel [data-code="NOT_FOUND"]')
      .getByText(/No serial device/)
      .waitFor();
    await shot(h.page, 'console');

    await h.page.locator('body').click({ position: { x: 600, y: 20 } });
    await h.page.keyboard.press('Alt+1');
    await h.page.getByTestId('fleet-counts').waitFor();
    await h.page.keyboard.press('Control+k');
    const palette = h.page.getByRole('dialog', { name: 'Command palette' });
    await palette.getByLabel('Command').fill('sett');
    await shot(h.page, 'palette');
    await h.page.keyboard.press('Enter');
    await h.page.getByRole('heading', { name: 'Settings' }).waitFor();
    await h.page.keyboard.press('Control+k');
    await palette.getByLabel('Command').fill('edge-02');
    await h.page.keyboard.press('Enter');
    await h.page.getByRole('heading', { name: 'edge-02' }).waitFor();
  });

  it('keeps a Fleet of 200 boxes virtualized and scrollable to the last one', async () => {
    await nav('fleet');
    const now = Date.now();
    const models = ['EB-200', 'EB-210', 'EB-300 Rugged'];
    const states = ['provisioned', 'provisioned', 'provisioned', 'new', 'attention', 'unreachable'] as const;
    for (let i = 1; i <= 200; i++) {
      const n = String(i).padStart(3, '0');
      const id = `SN-2${n}`;
      seedBox(h.app, {
        boxId: id,
        source: i % 7 === 0 ? 'serial' : 'mdns',
        address: i % 7 === 0 ? `/dev/ttyUSB${i % 4}` : `10.77.${Math.floor(i / 250)}.${(i % 250) + 20}`,
        hostname: `line-b-box-${n}`,
        serial: id,
        model: models[i % 3]!,
        vendor: 'Acme',
        arch: i % 2 ? 'arm64' : 'amd64',
        state: states[i % states.length]!,
        k3sVersion: states[i % states.length] === 'new' ? null : 'v1.30.4+k3s1',
        at: new Date(now - i * 37_000).toISOString(),
      });
      if (i % 5 !== 0) h.app.inventory.setHealth(id, i % 11 === 0 ? 'attention' : 'healthy');
      h.app.bus.emit('box.changed', h.app.inventory.get(id)!);
    }
    await h.page
      .getByTestId('fleet-counts')
      .getByText(/^203 boxes/)
      .waitFor();
    const rendered = await h.page.locator('.table-scroll [data-box-id]').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    await shot(h.page, 'fleet-200');
    await h.page.locator('.table-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await h.page.locator('[data-box-id]').filter({ hasText: 'line-b-box-' }).last().waitFor();
    await h.page.getByLabel('Search boxes').fill('box-137');
    await h.page.locator('[data-box-id="SN-2137"]').waitFor();
    await expect.poll(() => h.page.locator('.table-scroll [data-box-id]').count()).toBe(1);
    await h.page.getByLabel('Search boxes').fill('');
    await expect.poll(() => h.page.locator('.table-scroll [data-box-id]').count()).toBeGreaterThan(5);
    // Quick filters: the chip says how many, and the list shows exactly those.
    const cable = h.page.getByRole('group', { name: 'Show' }).getByRole('button', { name: /^On a cable/ });
    const n = Number((await cable.locator('.chip-count').textContent()) ?? 'x');
    expect(n).toBeGreaterThan(0);
    await cable.click();
    await expect(cable.getAttribute('aria-pressed')).resolves.toBe('true');
    await expect.poll(() => h.page.locator('.table-scroll [data-box-id]').count()).toBe(Math.min(n, 40));
    await shot(h.page, 'fleet-filter-cable');
    await h.page.getByRole('group', { name: 'Show' }).getByRole('button', { name: /^All/ }).click();
    // Sorting by a column, both ways.
    await h.page.getByRole('button', { name: 'Serial' }).click();
    await expect(h.page.getByRole('columnheader', { name: /Serial/ }).getAttribute('aria-sort')).resolves.toBe('ascending');
    await h.page.getByRole('button', { name: /Serial/ }).click();
    await expect(h.page.getByRole('columnheader', { name: /Serial/ }).getAttribute('aria-sort')).resolves.toBe('descending');
    await expect(h.page.locator('.table-scroll [data-box-id]').first().getAttribute('data-box-id')).resolves.toBe('SN-2200');
    await h.page.getByRole('button', { name: 'Health' }).click();
  });

  it('shows a running job with its progress in the status bar and cancels it from there', async () => {
    let seen: AbortSignal | null = null;
    const { job, done } = h.app.jobs.start('discovery', 'Scanning 10.77.0.0/24', (ctx) => {
      seen = ctx.signal;
      ctx.progress(0.4, '102 of 254 addresses');
      return new Promise<void>((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
    });
    const bar = h.page.getByRole('contentinfo', { name: 'Status' });
    await bar.getByText('1 job running: Scanning 10.77.0.0/24').waitFor();
    await expect(bar.getByRole('progressbar').first().getAttribute('aria-valuenow')).resolves.toBe('40');
    await bar.getByRole('button', { name: /1 job running/ }).click();
    const popover = h.page.getByRole('dialog', { name: 'Running jobs' });
    await popover.getByText('102 of 254 addresses').waitFor();
    await shot(h.page, 'status-jobs');
    await popover.getByRole('button', { name: 'Cancel' }).click();
    await expect(done).rejects.toMatchObject({ code: 'ABORTED' });
    expect(seen!.aborted).toBe(true);
    await bar.getByText('No jobs running').waitFor();
    expect(h.app.jobs.list().find((j) => j.id === job.id)?.state).toBe('cancelled');
  });

  it('did nothing a Fieldlink window must not do: no CSP violation, console error or foreign request', async () => {
    expect(h.offences).toEqual({ consoleErrors: [], pageErrors: [], foreignRequests: [], cspViolations: [] });
    const files = fs.readdirSync(SCREENSHOTS);
    for (const f of ['fleet-empty', 'fleet-light', 'fleet-dark', 'fleet-contrast', 'fleet-200', 'box-health', 'box-console', 'provision', 'logs', 'console', 'settings']) {
      expect(files).toContain(`${f}.png`);
      expect(fs.statSync(path.join(SCREENSHOTS, `${f}.png`)).size).toBeGreaterThan(5000);
    }
  });
});
