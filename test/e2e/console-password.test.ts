import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunSshd, startSshd, type TestSshd } from '../fixtures/sshd.ts';
import { boxPasswordSecret } from '../../electron/core/connections/index.ts';
import { readTechnicianKey } from '../../electron/core/keys/index.ts';
import { startHarness, type Harness } from './helpers.ts';

/**
 * The Console's password login in Chromium against a real OpenSSH sshd on 127.0.0.1 (its own
 * throwaway user): the prompt after the key is trusted, a wrong password said plainly with an empty
 * field to retry, Remember keeping it sealed in the keychain, and the technician key offer, whose key-only
 * check tells the truth when the box does not read ~/.ssh/authorized_keys. The lab suite
 * test/lab/ui-login.test.ts does the same against a factory lab box, over SSH and the cable.
 */
const skip = canRunSshd();

describe.skipIf(skip !== null)('Console password prompt on a real sshd', () => {
  let h: Harness;
  let sshd: TestSshd;
  let target: string;

  beforeAll(async () => {
    sshd = await startSshd({ keyTypes: ['ed25519'] });
    h = await startHarness();
    target = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
  });

  afterAll(async () => {
    await h?.close();
    await sshd?.stop();
  });

  it('asks for the password, retries a wrong one plainly, remembers the right one, then installs the key', async () => {
    const { page } = h;
    await page.goto(h.host.url);
    await page.click('nav [data-nav="console"]');
    await page.getByLabel('Connect to an address or serial port').fill(target);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('alertdialog', { name: 'Unknown host key' }).getByRole('button', { name: 'Trust on first use' }).click();

    const prompt = page.getByRole('dialog', { name: 'Box password' });
    await prompt.getByText('It is on the box label.').waitFor();
    const field = prompt.getByLabel('Password', { exact: true });
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.type')).toBe('password');
    await field.fill('wrong-password-1');
    await field.press('Enter');
    await prompt.getByText('That password did not work. Check the label and try again.').waitFor({ timeout: 30_000 });
    expect(await field.inputValue()).toBe('');

    await field.fill(sshd.password);
    await prompt.getByLabel('Remember on this laptop').check();
    await prompt.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Connected over LAN').waitFor({ timeout: 30_000 });
    expect(h.app.secrets.get(boxPasswordSecret('127.0.0.1'))).toBe(sshd.password);
    expect(JSON.stringify(h.app.audit.list({ limit: 100 }))).not.toContain(sshd.password);

    // This sshd reads its keys from another file (AuthorizedKeysFile), as a locked-down box might:
    // the key lands in ~/.ssh/authorized_keys, and the key-only check says plainly it does not work.
    await page.getByRole('button', { name: 'Install key' }).click();
    await page.getByText(/The technician key is on the box, but the box still does not accept it/).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: '/tmp/fl-key-not-accepted.png' });
    const key = readTechnicianKey(h.app.dataDir)!;
    const lines = fs
      .readFileSync(path.join(sshd.home, '.ssh', 'authorized_keys'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines).toEqual([key.publicKey]);
    expect(fs.statSync(path.join(sshd.home, '.ssh')).mode & 0o777).toBe(0o700);
  });

  it('did nothing a Fieldlink window must not do', () => {
    expect(h.offences).toEqual({ consoleErrors: [], pageErrors: [], foreignRequests: [], cspViolations: [] });
  });
});
