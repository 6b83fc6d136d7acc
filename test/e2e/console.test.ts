import { afterAll, beforeAll, expect, it } from 'vitest';
import { canRunSshd, startSshd, type TestSshd } from '../fixtures/sshd.ts';
import { describeWith } from '../fixtures/needs.ts';
import { boxPasswordSecret } from '../../electron/core/connections/index.ts';
import { shot, startHarness, type Harness } from './helpers.ts';

/**
 * The Console view in Chromium against a real OpenSSH sshd on 127.0.0.1: the trust prompt for an
 * unknown key (a wrong fingerprint is caught, the right one is pinned as typed), a real shell that
 * runs what is typed, resize reaching the pty, reconnect, and a changed key refused with no way to
 * accept it.
 */
const skip = canRunSshd();

describeWith(skip, 'Console view on a real sshd', () => {
  let h: Harness;
  let sshd: TestSshd;
  let target: string;

  beforeAll(async () => {
    sshd = await startSshd({ keyTypes: ['ed25519'] });
    h = await startHarness();
    // The box password as the keychain would hold it; the core's own console wiring does the rest.
    h.app.secrets.set(boxPasswordSecret('127.0.0.1'), sshd.password);
    target = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
  });

  afterAll(async () => {
    await h?.close();
    await sshd?.stop();
  });

  /** What xterm shows, row by row (its DOM renderer keeps the visible screen as text). */
  const screen = () => h.page.locator('.xterm-rows').innerText();

  it('asks about an unknown key, catches a wrong fingerprint, and pins the right one as typed', async () => {
    await h.page.goto(h.host.url);
    await h.page.click('nav [data-nav="console"]');
    await h.page.getByLabel('Connect to an address or serial port').fill(target);
    await h.page.getByRole('button', { name: 'Connect' }).click();

    const prompt = h.page.getByRole('alertdialog', { name: 'Unknown host key' });
    await prompt.waitFor();
    const fp = sshd.hostKeys[0]!.fingerprint;
    await prompt.getByText(fp).waitFor();
    await shot(h.page, 'console-trust-unknown');

    await prompt.getByLabel(/Fingerprint from the label/).fill(`SHA256:${'A'.repeat(43)}`);
    await prompt.getByText('That does not match what the box offers.').waitFor();
    // "I checked it" is offered only for a fingerprint that matches.
    expect(await prompt.getByRole('button', { name: 'I checked it' }).isDisabled()).toBe(true);
    expect(h.app.trust.forHost('127.0.0.1', sshd.port)).toEqual([]);

    await prompt.getByLabel(/Fingerprint from the label/).fill(fp.replace('SHA256:', ''));
    await prompt.getByRole('button', { name: 'I checked it' }).click();
    await h.page.getByText('Connected over LAN').waitFor();
    expect(h.app.trust.forHost('127.0.0.1', sshd.port)).toMatchObject([{ fingerprint: fp, source: 'typed' }]);
  });

  it('runs what is typed in a real shell and shows its output', async () => {
    await h.page.locator('.terminal-host .xterm').click();
    await h.page.keyboard.type('echo fieldlink-$((6*7))\n');
    await expect.poll(screen, { timeout: 20_000 }).toContain('fieldlink-42');
    await shot(h.page, 'console-live');
  });

  it('copies the selection and pastes into the shell through the system clipboard', async () => {
    await h.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.host.origin });
    const row = h.page.locator('.xterm-rows > div').filter({ hasText: /^fieldlink-42\s*$/ });
    // xterm's screen layer takes the mouse; double-click where the word is drawn, as a person would.
    const at = (await row.boundingBox())!;
    await h.page.mouse.dblclick(at.x + 30, at.y + at.height / 2);
    await h.page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => h.page.evaluate('navigator.clipboard.readText()')).toBe('fieldlink-42');

    await h.page.evaluate("navigator.clipboard.writeText('echo pasted-$((40+2))')");
    await h.page.getByRole('button', { name: 'Paste' }).click();
    await h.page.locator('.terminal-host .xterm').click();
    await h.page.keyboard.press('Enter');
    await expect.poll(screen, { timeout: 20_000 }).toContain('pasted-42');
  });

  it('tells the box when the terminal is resized', async () => {
    const before = await h.page.locator('.terminal-host').boundingBox();
    await h.page.setViewportSize({ width: 1000, height: 700 });
    await expect.poll(async () => (await h.page.locator('.terminal-host').boundingBox())?.width).not.toBe(before?.width);
    // Let the resize settle and reach the pty, then ask the pty itself.
    await new Promise((r) => setTimeout(r, 600));
    await h.page.locator('.terminal-host .xterm').click();
    await h.page.keyboard.type('stty size | sed "s/^/size=/"\n');
    await expect.poll(screen, { timeout: 20_000 }).toMatch(/size=\d+ \d+/);
    const [, rows, cols] = /size=(\d+) (\d+)/.exec(await screen())!;
    const xtermSize = await h.page.locator('.terminal-host .xterm-rows > div').count();
    expect(Number(rows)).toBe(xtermSize);
    expect(Number(cols)).toBeGreaterThan(20);
    expect(Number(cols)).toBeLessThan(130);
    await h.page.setViewportSize({ width: 1440, height: 900 });
  });

  it('reconnects to a fresh shell', async () => {
    await h.page.getByRole('button', { name: 'Reconnect' }).click();
    await h.page.getByText('Connected over LAN').waitFor();
    await h.page.locator('.terminal-host .xterm').click();
    await h.page.keyboard.type('echo again-$((2+3))\n');
    await expect.poll(screen, { timeout: 20_000 }).toContain('again-5');
  });

  it('opens a link the box prints only when it is on the https allowlist', async () => {
    // Record what the page asks to open instead of opening it (no traffic leaves 127.0.0.1).
    await h.page.evaluate('window.__opened = []; window.open = (url) => (window.__opened.push(String(url)), null);');
    await h.page.locator('.terminal-host .xterm').click();
    await h.page.keyboard.type(
      "clear; printf '\\033]8;;https://evil.example/x\\033\\\\EVILLINK\\033]8;;\\033\\\\\\n\\033]8;;https://kubernetes.io/docs/\\033\\\\DOCSLINK\\033]8;;\\033\\\\\\n'\n",
    );
    const click = async (word: string) => {
      const row = h.page.locator('.xterm-rows > div').filter({ hasText: new RegExp(`^${word}\\s*$`) });
      await row.waitFor({ timeout: 20_000 });
      const at = (await row.boundingBox())!;
      await h.page.mouse.move(at.x + 25, at.y + at.height / 2);
      await h.page.mouse.move(at.x + 30, at.y + at.height / 2);
      await h.page.mouse.click(at.x + 30, at.y + at.height / 2);
    };
    const opened = () => h.page.evaluate('window.__opened');
    await click('EVILLINK');
    await click('DOCSLINK');
    await expect.poll(opened, { timeout: 5000 }).toEqual(['https://kubernetes.io/docs/']);
  });

  it('shows a dropped session, then refuses the changed key with no way to accept it, only what to do next', async () => {
    await sshd.restart({ newHostKeys: true });
    // The restart cut the live session: the panel says so and offers Connect again.
    await h.page.getByText('Session ended', { exact: true }).waitFor();
    await h.page.getByText('The session ended. Press Connect to open a new one.').waitFor();
    await shot(h.page, 'console-ended');
    await h.page.getByRole('button', { name: 'Connect', exact: true }).click();
    const prompt = h.page.getByRole('alertdialog', { name: 'Host key changed' });
    await prompt.waitFor();
    await prompt.getByText(sshd.hostKeys[0]!.fingerprint).waitFor();
    await prompt.getByText('typed in or scanned from the box label').waitFor();
    await expect(prompt.getByRole('button', { name: /trust|checked|accept/i }).count()).resolves.toBe(0);
    await prompt.getByText('What to do next').waitFor();
    await h.page.getByText('Refused: key changed').waitFor();
    await shot(h.page, 'console-trust-changed');
    // The old pin stands: nothing was replaced by the refusal.
    expect(h.app.trust.forHost('127.0.0.1', sshd.port)).toHaveLength(1);
    expect(h.app.trust.forHost('127.0.0.1', sshd.port)[0]!.fingerprint).not.toBe(sshd.hostKeys[0]!.fingerprint);
  });

  it('did nothing a Fieldlink window must not do', () => {
    expect(h.offences).toEqual({ consoleErrors: [], pageErrors: [], foreignRequests: [], cspViolations: [] });
  });
});
