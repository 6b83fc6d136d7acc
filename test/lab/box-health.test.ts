import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus, LabStatus } from '../../lab/index.ts';
import { ApiSession, canForward, keptCredentials, tunnelKubeconfig } from '../../electron/core/health/index.ts';
import { shot, startHarness, type Harness } from '../e2e/helpers.ts';
import { labStatus, until, useScenario } from './helpers.ts';

/**
 * The Box view's Health tab in Chromium against a lab box running the mixed scenario with its clock
 * sped up (restarts every few seconds): live data with the diagnosis, a pod's change on screen within
 * a second of the API's watch showing it (real kubectl watching beside the UI), "Link lost" within
 * 10 s of the box's LAN link going down and live again after, and the kept snapshot after a restart
 * with the box unreachable.
 */
const BOX = 'box-02';
const CRASHING = 'edge/sensor-gateway-';

describe('Box view health, live, stale and from the kept snapshot', () => {
  let lab: LabStatus;
  let box: BoxStatus;
  let h: Harness;
  let restore: (() => Promise<void>) | null = null;
  let kubectl: ChildProcess | null = null;
  let watchSession: ApiSession | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-box-health-'));
  const linkSet = (up: boolean) => spawnSync('ip', ['-n', `fl-${BOX}`, 'link', 'set', 'eth0', up ? 'up' : 'down'], { stdio: 'inherit' });

  const banner = () => h.page.locator('[data-testid="health-banner"]');
  const state = () => h.page.locator('.health').getAttribute('data-health-state');

  beforeAll(async () => {
    lab = await labStatus();
    box = lab.boxes.find((b) => b.name === BOX && b.state === 'provisioned' && b.power === 'on')!;
    if (!box) throw new Error(`${BOX} is not a provisioned box that is on`);
    restore = await useScenario(lab, BOX, 'mixed', { timeScale: 60 });
    h = await startHarness({ lab: true, dataDir });
    // As a technician would: the box found on the LAN, its key pinned and its label password remembered once.
    h.app.discovery.start();
    await until(async () => h.app.inventory.get(box.serial)?.addresses.includes(box.ip), 20_000, `${BOX} found by mDNS`);
    const first = await h.app.connections.shell(box.serial, { mode: 'accept-new', password: box.password, remember: true });
    await first.close();
  }, 90_000);

  afterAll(async () => {
    linkSet(true);
    kubectl?.kill('SIGTERM');
    await watchSession?.close().catch(() => undefined);
    await h?.close();
    await restore?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the live diagnosis: crash loop, OOM kill and image pull', async () => {
    await h.page.goto(h.host.url);
    await h.page.locator(`[role="row"][data-box-id="${box.serial}"] button`, { hasText: 'Open' }).click();
    await until(async () => (await state()) === 'live', 30_000, 'the Health tab live');
    await expect(banner().textContent()).resolves.toContain('Live over LAN');
    for (const code of ['POD_CRASH_LOOP', 'POD_OOM_KILLED', 'IMAGE_PULL']) await h.page.locator(`.diagnosis-card[data-code="${code}"]`).waitFor({ timeout: 10_000 });
    await h.page.locator(`[data-pod^="${CRASHING}"]`).waitFor();
    await shot(h.page, 'box-health-live');
    // The Fleet row carries the health word the live model found.
    await h.page.getByRole('button', { name: 'Fleet' }).first().click();
    await h.page.locator(`[role="row"][data-box-id="${box.serial}"]`).getByText('Needs attention').first().waitFor({ timeout: 5000 });
    await h.page.locator(`[role="row"][data-box-id="${box.serial}"] button`, { hasText: 'Open' }).click();
    await until(async () => (await state()) === 'live', 30_000, 'the Health tab live again');
    expect(h.offences.pageErrors).toEqual([]);
    expect(h.offences.foreignRequests).toEqual([]);
  }, 60_000);

  it("shows a pod's restart within 1 s of kubectl's watch seeing it", async () => {
    // Real kubectl watching the same API through its own tunnel, beside the UI.
    const shell = await h.app.connections.shell(box.serial, { mode: 'strict' });
    if (!canForward(shell)) throw new Error('no SSH shell');
    watchSession = await ApiSession.open(shell, { credentials: keptCredentials(h.app.secrets, shell.target) });
    const kc = path.join(dataDir, 'watch.kubeconfig');
    fs.writeFileSync(kc, tunnelKubeconfig(watchSession.kubeconfig, watchSession.tunnel.port, 'watch'), { mode: 0o600 });
    const seen = new Map<number, number>();
    kubectl = spawn('kubectl', ['--kubeconfig', kc, 'get', 'pods', '-n', 'edge', '-w', '-o', 'jsonpath={.metadata.name} {.status.containerStatuses[0].restartCount}{"\\n"}']);
    let buf = '';
    kubectl.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const [name, restarts] = buf.slice(0, i).split(' ');
        buf = buf.slice(i + 1);
        if (name?.startsWith(CRASHING.slice('edge/'.length)) && restarts && !seen.has(Number(restarts))) seen.set(Number(restarts), Date.now());
      }
    });
    // The page records when the crashing pod's restart count changes on screen.
    await h.page.evaluate(`(() => {
      window.__restarts = [];
      const read = () => document.querySelector('[data-pod^="${CRASHING}"] [role="cell"]:nth-child(5)')?.textContent;
      let last = read();
      new MutationObserver(() => { const v = read(); if (v && v !== last) { last = v; window.__restarts.push([Number(v), Date.now()]); } })
        .observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    const shown = await until(
      async () => {
        const r = (await h.page.evaluate('window.__restarts')) as Array<[number, number]>;
        return r.filter(([n]) => seen.has(n)).length >= 3 ? r : null;
      },
      90_000,
      'three restarts on screen that kubectl saw too',
    );
    const delays = shown.filter(([n]) => seen.has(n)).map(([n, t]) => t - seen.get(n)!);
    process.stdout.write(`box view: restart on screen ${delays.map((d) => `${d} ms`).join(', ')} after kubectl's watch saw it\n`);
    expect(Math.max(...delays)).toBeLessThan(1000);
  }, 120_000);

  it("says the link is lost within 10 s of the box's LAN going down, and goes live again by itself", async () => {
    const cut = Date.now();
    linkSet(false);
    await until(async () => (await state()) === 'stale', 12_000, 'the Health tab stale');
    const staleAfter = Date.now() - cut;
    await expect(banner().textContent()).resolves.toContain('Link lost');
    await h.page.locator('.diagnosis-card[data-code="POD_CRASH_LOOP"]').waitFor();
    await shot(h.page, 'box-health-stale');
    linkSet(true);
    const back = Date.now();
    await until(async () => (await state()) === 'live', 60_000, 'the Health tab live again');
    process.stdout.write(`box view: stale ${staleAfter} ms after the cut; live again ${Date.now() - back} ms after the link came back\n`);
    expect(staleAfter).toBeLessThan(10_000);
  }, 90_000);

  it('after a restart with the box unreachable, shows the kept snapshot and its age', async () => {
    await h.close();
    linkSet(false);
    h = await startHarness({ lab: true, dataDir });
    await h.page.goto(h.host.url);
    await h.page.locator(`[role="row"][data-box-id="${box.serial}"] button`, { hasText: 'Open' }).click();
    await until(async () => (await state()) === 'snapshot', 30_000, 'the Health tab on the kept snapshot');
    await expect(banner().textContent()).resolves.toContain('Offline: snapshot from');
    await h.page.locator('.diagnosis-card[data-code="POD_CRASH_LOOP"]').waitFor();
    await shot(h.page, 'box-health-snapshot');
    linkSet(true);
  }, 60_000);
});
