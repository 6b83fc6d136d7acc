import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebHost } from '../../electron/web.ts';
import { seedBox, shot, startHarness, type Harness } from './helpers.ts';

/**
 * The browser host goes away under an open window (the core restarted, the laptop slept): the
 * status bar says the core is lost and retries; when the host is back the window reads the state
 * again, so what changed while it was away is on screen without a reload.
 */
describe('losing and regaining the core', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('says the core is lost, then catches up on what changed meanwhile', async () => {
    await h.page.goto(h.host.url);
    await h.page.getByText('No boxes yet.', { exact: false }).waitFor();
    const { port, token } = h.host;

    await h.host.close();
    await h.page
      .getByRole('alert')
      .getByText(/Lost the connection to Fieldlink, retrying/)
      .waitFor({ timeout: 30_000 });
    await shot(h.page, 'core-lost');

    // While the window is cut off, the core records a box; no event can reach the window.
    seedBox(h.app, { boxId: 'SN-9', source: 'mdns', address: '10.77.0.99', hostname: 'came-while-away', state: 'provisioned' });
    h.host = await startWebHost({ app: h.app, port, token });
    await h.page
      .getByRole('button', { name: 'Retry now' })
      .click()
      .catch(() => {
        // It may have reconnected on its own already; either way the next line is the proof.
      });
    await h.page.locator('[data-box-id="SN-9"]').waitFor({ timeout: 30_000 });
    await expect(h.page.getByRole('alert').filter({ hasText: 'Lost the connection to Fieldlink' }).count()).resolves.toBe(0);
  });

  it('raised nothing but the browser’s own notes about the refused socket', () => {
    // Chromium logs each failed WebSocket attempt itself; anything else is a real fault.
    const other = h.offences.consoleErrors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api' failed/.test(e));
    expect({ ...h.offences, consoleErrors: other }).toEqual({ consoleErrors: [], pageErrors: [], foreignRequests: [], cspViolations: [] });
  });
});
