import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { shot, startHarness, type Harness } from '../e2e/helpers.ts';
import { labStatus, seedKnownBox } from './helpers.ts';

/**
 * "Collect now" in the Box view's Logs tab, in Chromium against the lab: box-03, known to this laptop
 * (host key pinned over its cable, label password remembered), has its journal, files and kernel
 * messages collected as a job with its status line; the tab then lists the segments, waiting for the
 * collector. A second Collect now brings only what is new.
 */
describe('Collect now in the Box view, against box-03', () => {
  let h: Harness;
  let box: BoxStatus;

  beforeAll(async () => {
    box = (await labStatus()).boxes.find((b) => b.name === 'box-03' && b.power === 'on')!;
    if (!box) throw new Error('box-03 is not on');
    h = await startHarness({ lab: true });
    await seedKnownBox(h.app, box);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('collects the box as a job and lists what it brought in', async () => {
    const { page } = h;
    await page.goto(h.host.url);
    await page.locator(`.table-row[data-box-id="${box.serial}"]`).dblclick();
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByText(`No logs collected from ${box.hostname} yet.`).waitFor();

    const started = Date.now();
    await page.getByRole('button', { name: 'Collect now' }).click();
    const line = page.getByRole('status', { name: 'Collect' });
    await line.getByText('Collect done').waitFor({ timeout: 90_000 });
    process.stdout.write(`collect now: ${box.name} collected in ${Date.now() - started} ms: ${await line.innerText()}\n`);
    const table = page.getByRole('table', { name: 'Collected logs' });
    await table.getByText('journald').first().waitFor();
    await expect(table.getByText('Waiting').count()).resolves.toBeGreaterThan(0);
    await shot(page, 'box-logs-collected');

    const before = h.app.audit.list({ limit: 100 }).filter((a) => a.action === 'logs.collect');
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ boxId: box.serial, outcome: 'ok' });

    // Again: the cursors and offsets were kept, so only what is new comes (a few journal lines at most).
    const segments = await table.locator('tbody tr').count();
    await page.getByRole('button', { name: 'Collect now' }).click();
    await expect.poll(() => h.app.audit.list({ limit: 100 }).filter((a) => a.action === 'logs.collect').length, { timeout: 90_000 }).toBe(2);
    await line.getByText('Collect done').waitFor({ timeout: 10_000 });
    // Nothing old was fetched again: at most a segment per source for the lines written since.
    expect(await table.locator('tbody tr').count()).toBeLessThanOrEqual(segments + 4);
    expect(h.offences.pageErrors).toEqual([]);
  }, 240_000);
});
