import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { technicianKeyPath } from '../../electron/core/keys/index.ts';
import { ArtifactCache } from '../../electron/core/provision/index.ts';
import { pickBoxes, shot, startHarness, type Harness } from '../e2e/helpers.ts';
import { labStatus, seedKnownBox, ssh } from './helpers.ts';
import { buildRelease, keySsh, restoreFactoryState, saveFactoryState, type FactoryState } from './provision-helpers.ts';

/**
 * The Provision wizard in Chromium against the lab: every factory box picked in the Fleet, the
 * example profile checked, the dry-run diff reviewed, then all of them provisioned at once, each
 * with its bar and steps; at the end OpenSSH refuses each label password. The boxes are put back to
 * their factory state afterwards.
 */
describe('the Provision wizard on the lab factory boxes, in parallel', () => {
  let h: Harness;
  let boxes: BoxStatus[] = [];
  const saved = new Map<string, FactoryState>();
  const usb = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-wizard-usb-'));

  beforeAll(async () => {
    const lab = await labStatus();
    boxes = lab.boxes.filter((b) => b.state === 'factory' && b.power === 'on');
    if (boxes.length < 2) throw new Error('the lab needs at least two factory boxes that are on');
    for (const b of boxes) saved.set(b.name, await saveFactoryState(b));
    h = await startHarness({ lab: true });
    await new ArtifactCache(h.app.dataDir).add(buildRelease(usb));
    // Known boxes the technician has already let in once: host keys pinned (read over their cables) and the label password remembered.
    for (const b of boxes) await seedKnownBox(h.app, b);
  }, 180_000);

  afterAll(async () => {
    const key = h ? technicianKeyPath(h.app.dataDir) : '';
    for (const b of boxes) await restoreFactoryState(b, saved.get(b.name)!, key).catch(() => undefined);
    await h?.close();
    fs.rmSync(usb, { recursive: true, force: true });
  }, 180_000);

  it('picks the boxes, checks the profile, shows the diff, provisions all of them at once', async () => {
    const { page } = h;
    await page.goto(h.host.url);
    await pickBoxes(
      page,
      boxes.map((b) => b.serial),
    );
    await page.getByRole('button', { name: `Provision ${boxes.length} boxes` }).click();
    await page.getByRole('button', { name: 'Next: profile' }).click();
    await page.locator('.profile-check[data-valid="true"]').waitFor({ timeout: 10_000 });
    // A typo is pointed at, line and field, as it is typed; fixing it makes the profile valid again.
    const editor = page.getByLabel('Profile YAML');
    const good = await editor.inputValue();
    await editor.fill(good.replace('passwordLogin: false', 'passwordLogin: nope'));
    await page
      .locator('.profile-check[data-valid="false"]')
      .getByText(/passwordLogin/)
      .waitFor({ timeout: 10_000 });
    await expect(page.getByRole('button', { name: 'Next: review the changes' }).isDisabled()).resolves.toBe(true);
    await editor.fill(good);
    await page.locator('.profile-check[data-valid="true"]').waitFor({ timeout: 10_000 });

    await page.getByRole('button', { name: 'Next: review the changes' }).click();
    for (const b of boxes) await page.locator(`.run-box[data-box-id="${b.serial}"][data-state="ok"]`).waitFor({ timeout: 60_000 });
    await expect(page.locator(`.run-box[data-box-id="${boxes[0]!.serial}"] [data-step="k3s"] .drift`).innerText()).resolves.toMatch(/k3s: not installed -> v1\.30\.6\+k3s1/);
    await shot(page, 'provision-review');

    const started = Date.now();
    await page.getByRole('button', { name: `Provision ${boxes.length} boxes` }).click();
    await page.locator('.run-box[data-state="running"]').first().waitFor({ timeout: 30_000 });
    for (const b of boxes) await page.locator(`.run-box[data-box-id="${b.serial}"][data-state="ok"]`).waitFor({ timeout: 240_000 });
    process.stdout.write(`wizard: ${boxes.length} factory boxes to Ready in parallel in ${Date.now() - started} ms\n`);
    await page.getByRole('status').getByText(`${boxes.length} of ${boxes.length} boxes provisioned.`).waitFor({ timeout: 10_000 });
    await shot(page, 'provision-run');

    for (const b of boxes) {
      expect((await ssh(b, 'true')).code, `${b.name}: the label password is refused`).not.toBe(0);
      const k = await keySsh(b, technicianKeyPath(h.app.dataDir), 'k3s kubectl get nodes --no-headers');
      expect(k.stdout, `${b.name}: its node is Ready`).toMatch(/\sReady\s/);
    }
    // The Fleet now knows them as provisioned, under the names the profile gave them, with their k3s.
    for (const b of boxes)
      expect(h.app.inventory.get(b.serial)).toMatchObject({ state: 'provisioned', k3sVersion: 'v1.30.6+k3s1', hostname: `edge-lab-${b.serial.slice(-6).toLowerCase()}` });
    expect(h.offences.pageErrors).toEqual([]);
  }, 420_000);
});
