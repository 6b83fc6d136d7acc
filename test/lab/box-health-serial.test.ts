import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { seedBox, shot, startHarness, type Harness } from '../e2e/helpers.ts';
import { labStatus, until, useScenario } from './helpers.ts';

/**
 * When only the cable gets in (its LAN host key not pinned yet, as on a box just plugged in), the
 * Box view still shows live health: `k3s kubectl … -o json` read over the serial console into the
 * same model, "Live over cable".
 */
const BOX = 'box-02';

describe('Box view health over the serial console, in Chromium', () => {
  let h: Harness;
  let box: BoxStatus;
  let restore: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    const lab = await labStatus();
    box = lab.boxes.find((b) => b.name === BOX && b.state === 'provisioned' && b.power === 'on')!;
    if (!box) throw new Error(`${BOX} is not a provisioned box that is on`);
    restore = await useScenario(lab, BOX, 'mixed');
    h = await startHarness({ lab: true });
    // On its cable, and heard on the LAN too (mDNS finds it while the Fleet is open) with a host key
    // nobody has pinned yet: the LAN cannot be used, so the cable is.
    seedBox(h.app, { boxId: box.serial, source: 'serial', hostname: box.hostname, serial: box.serial, consolePath: box.console, state: 'provisioned' });
    seedBox(h.app, { boxId: box.serial, source: 'mdns', address: box.ip });
    const first = await h.app.connections.shell(box.serial, { password: box.password, remember: true, timeoutMs: 60_000 });
    await first.close();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await restore?.();
  });

  it('reads the diagnosis over the cable and says so', async () => {
    await h.page.goto(h.host.url);
    await h.page.locator(`[role="row"][data-box-id="${box.serial}"] button`, { hasText: 'Open' }).click();
    const started = Date.now();
    await until(async () => (await h.page.locator('.health').getAttribute('data-health-state', { timeout: 1000 })) === 'live', 120_000, 'the Health tab live over the cable').catch(
      async (err: Error) => {
        // Say what the technician saw: the state, the banner and the page's text.
        const state = await h.page
          .locator('.health')
          .getAttribute('data-health-state', { timeout: 1000 })
          .catch(() => '(no .health)');
        const text = (
          await h.page
            .locator('main')
            .innerText({ timeout: 1000 })
            .catch(() => '')
        ).slice(0, 1500);
        throw new Error(`${err.message}; state ${state}; the page read:\n${text}`);
      },
    );
    process.stdout.write(`box view over serial: live ${Date.now() - started} ms after Open\n`);
    await expect(h.page.getByTestId('health-banner').textContent()).resolves.toContain('Live over cable');
    for (const code of ['POD_CRASH_LOOP', 'POD_OOM_KILLED', 'IMAGE_PULL']) await h.page.locator(`.diagnosis-card[data-code="${code}"]`).waitFor({ timeout: 5000 });
    await shot(h.page, 'box-health-serial');
    expect(h.offences.pageErrors).toEqual([]);
  }, 150_000);
});
