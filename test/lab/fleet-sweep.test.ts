import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, startHarness, type Harness } from '../e2e/helpers.ts';
import { labStatus } from './helpers.ts';

/**
 * "Scan subnet" in real Chromium on a core in fl-tech: the dialog offers the lab LAN the laptop is
 * on, shows the core's count, scans it with a progress bar, and the boxes it finds are in the Fleet.
 */
describe('Scan subnet in Chromium against the lab', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ lab: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('scans 10.77.0.0/24 with progress; every lab box is in the Fleet, one row each', async () => {
    const s = await labStatus();
    const want = s.boxes.filter((b) => b.power === 'on');
    await h.page.goto(h.host.url);
    await h.page.getByRole('button', { name: 'Scan subnet' }).first().click();
    const dialog = h.page.getByRole('dialog', { name: 'Scan subnet' });
    // The core offers the subnet of the laptop's own LAN address (10.77.0.2/24 in fl-tech).
    await expect.poll(() => dialog.getByLabel('Subnet to scan').inputValue()).toBe('10.77.0.0/24');
    await dialog.getByText('10.77.0.0/24: 254 addresses (10.77.0.1 to 10.77.0.254) will be tried once each on ports 22 and 6443').waitFor();
    const started = Date.now();
    await dialog.getByRole('button', { name: 'Scan 254 addresses' }).click();
    await dialog.getByRole('progressbar').waitFor();
    await dialog.getByText(/of 254 addresses/).waitFor();
    await shot(h.page, 'fleet-scan-running');
    await dialog.getByText(`Scanned 254 addresses · ${want.length} boxes found`).waitFor({ timeout: 20_000 });
    process.stdout.write(`fleet scan: 254 addresses, ${want.length} boxes, done on screen after ${Date.now() - started} ms\n`);
    await shot(h.page, 'fleet-scan-lab-done');
    await dialog.getByRole('button', { name: 'Close' }).click();
    for (const b of want) {
      const rows = h.page.locator('[role="row"]', { hasText: b.ip });
      await rows.first().waitFor();
      await expect(rows.count(), `${b.name} has one row`).resolves.toBe(1);
      await expect(rows.first().textContent()).resolves.toContain(b.serial);
    }
    expect(h.offences.pageErrors).toEqual([]);
    expect(h.offences.foreignRequests).toEqual([]);
  });

  it('Cancel scan stops it and says so', async () => {
    await h.page.getByRole('button', { name: 'Scan subnet' }).first().click();
    const dialog = h.page.getByRole('dialog', { name: 'Scan subnet' });
    await dialog.getByRole('button', { name: 'Scan 254 addresses' }).click();
    // The first wave of silent addresses holds for 1 s: Cancel lands while it runs.
    await dialog.getByRole('button', { name: 'Cancel scan' }).click();
    await dialog.getByText(/^Cancelled\./).waitFor({ timeout: 3000 });
    await expect(dialog.getByRole('button', { name: 'Cancel scan' }).count()).resolves.toBe(0);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('a hidden scan runs on in the status bar, and asking again follows it to the end', async () => {
    await h.page.getByRole('button', { name: 'Scan subnet' }).first().click();
    const dialog = h.page.getByRole('dialog', { name: 'Scan subnet' });
    await dialog.getByRole('button', { name: 'Scan 254 addresses' }).click();
    await dialog.getByRole('button', { name: 'Hide' }).click();
    await h.page.getByText('1 job running: Scanning 10.77.0.0/24').waitFor();
    // While it runs the core answers CONFLICT with its job id and the dialog follows that job.
    await h.page.getByRole('button', { name: 'Scan subnet' }).first().click();
    await dialog.getByRole('button', { name: 'Scan 254 addresses' }).click();
    await dialog.getByText(/Scanned 254 addresses · \d+ boxes found/).waitFor({ timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(h.offences.pageErrors).toEqual([]);
  });
});
