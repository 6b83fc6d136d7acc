import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, startHarness, type Harness } from '../e2e/helpers.ts';
import { labStatus } from './helpers.ts';

/**
 * The Fleet in real Chromium, on a core in fl-tech, filling itself from the lab boxes' real avahi:
 * the done-when of discovery, "the Fleet shows them live".
 */
describe('Fleet fills itself from mDNS in Chromium', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ lab: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every powered lab box appears in the Fleet with its serial and address, without any click', async () => {
    const s = await labStatus();
    const started = Date.now();
    await h.page.goto(h.host.url);
    for (const b of s.boxes.filter((x) => x.power === 'on')) {
      const row = h.page.locator(`[role="row"][data-box-id="${b.serial}"]`);
      await row.waitFor({ timeout: 10_000 });
      await expect(row.textContent()).resolves.toContain(b.ip);
      await expect(row.textContent()).resolves.toContain(b.state === 'factory' ? 'New from factory' : 'Provisioned');
    }
    process.stdout.write(`fleet: ${s.boxes.length} lab boxes on screen ${Date.now() - started} ms after the page was opened\n`);
    // Cables are named from their prompts a moment later (cable-only rows until a login).
    await h.page.waitForTimeout(3000);
    await shot(h.page, 'fleet-lab-discovered');
    expect(h.offences.pageErrors).toEqual([]);
    expect(h.offences.foreignRequests).toEqual([]);
  });
});
