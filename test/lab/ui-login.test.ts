import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { labSerialEnv } from '../../lab/config.ts';
import { createApp, type App } from '../../electron/core/app.ts';
import { boxPasswordSecret } from '../../electron/core/connections/index.ts';
import { readTechnicianKey } from '../../electron/core/keys/index.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import { openSerial } from '../../electron/core/transport/index.ts';
import { startWebHost, type WebHost } from '../../electron/web.ts';
import { CHROMIUM_ARGS, ensureRendererBuilt, shot } from '../e2e/helpers.ts';
import { labStatus, ssh } from './helpers.ts';

/**
 * The Console's password login in Chromium against a factory lab box (box-05): its label password
 * over SSH and over the cable, a wrong password then the right one, "Remember on this laptop" making
 * the next connection prompt-free, and the technician key making it password-free. Each test has its
 * own data folder; "the next connection" is a fresh core on that folder, so no pooled SSH connection
 * can stand in for a login. Nothing of the password may reach the log, an audit row or an event.
 */
const WRONG = 'not-the-label-password-7731';

interface Core {
  app: App;
  host: WebHost;
  logText: () => string;
  eventsText: () => string;
  close(): Promise<void>;
}

async function startCore(dataDir: string): Promise<Core> {
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString('utf8');
      done();
    },
  });
  const app = createApp({ host: 'browser', dataDir, logger: createLogger({ level: 'trace', destination: sink }) });
  const events: string[] = [];
  app.bus.onAny((name, payload) => events.push(`${name} ${JSON.stringify(payload)}`));
  const host = await startWebHost({ app });
  return {
    app,
    host,
    logText: () => log,
    eventsText: () => events.join('\n'),
    async close() {
      await host.close().catch(() => {});
      await app.close();
    },
  };
}

/** Leaves the box's console at its login prompt, whatever an earlier session left there. */
async function logOutConsole(box: BoxStatus): Promise<void> {
  const shell = await openSerial({ path: box.console, credentials: { user: 'root', password: box.password }, timeoutMs: 60_000 });
  try {
    const t = await shell.openTerminal();
    await t.write('exit\r');
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await shell.close();
  }
}

describe('Console password login on a factory lab box, in Chromium', () => {
  let box: BoxStatus;
  let browser: Browser;
  const dirs: string[] = [];
  const cores: Core[] = [];
  const installedBlobs: string[] = [];

  const freshDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-ui-login-'));
    dirs.push(d);
    return path.join(d, 'data');
  };
  const core = async (dataDir: string) => {
    const c = await startCore(dataDir);
    cores.push(c);
    return c;
  };
  const page = async (c: Core): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const p = await context.newPage();
    await p.goto(c.host.url);
    return p;
  };
  const openConsole = async (p: Page, target: string) => {
    await p.click('nav [data-nav="console"]');
    await p.getByLabel('Connect to an address or serial port').fill(target);
    await p.getByRole('button', { name: 'Connect' }).click();
  };
  const screen = (p: Page) => p.locator('.xterm-rows').innerText();
  const typeInTerminal = async (p: Page, text: string) => {
    await p.locator('.terminal-host .xterm').click();
    await p.keyboard.type(text);
  };
  /** The password never shows up in what the core wrote down or sent out. */
  const expectNoSecrets = (c: Core, secrets: string[]) => {
    const audit = JSON.stringify(c.app.audit.list({ limit: 1000 }));
    for (const s of secrets) {
      expect(c.logText()).not.toContain(s);
      expect(audit).not.toContain(s);
      expect(c.eventsText()).not.toContain(s);
    }
  };

  beforeAll(async () => {
    const lab = await labStatus();
    box = lab.boxes.find((b) => b.name === 'box-05')!;
    expect(box, 'these tests use box-05').toBeDefined();
    expect(box.state).toBe('factory');
    process.env.FIELDLINK_SERIAL_DIRS = labSerialEnv().FIELDLINK_SERIAL_DIRS;
    await ensureRendererBuilt();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  });

  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close();
  });

  afterAll(async () => {
    await browser?.close();
    // Leave box-05 as it was: without the technician keys these tests installed.
    for (const blob of installedBlobs) await ssh(box, `sed -i '\\|${blob}|d' /root/.ssh/authorized_keys; [ -s /root/.ssh/authorized_keys ] || rm -f /root/.ssh/authorized_keys`);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('SSH: asks for the password after the key is trusted, says plainly when it is wrong, and Remember makes the next connection prompt-free', async () => {
    const dataDir = freshDir();
    let c = await core(dataDir);
    let p = await page(c);
    await openConsole(p, `ssh://root@${box.ip}`);
    await p.getByRole('alertdialog', { name: 'Unknown host key' }).getByRole('button', { name: 'Trust on first use' }).click();

    const prompt = p.getByRole('dialog', { name: 'Box password' });
    await prompt.waitFor();
    await prompt.getByText('It is on the box label.').waitFor();
    await p.getByText('Waiting for the password').waitFor();
    await shot(p, 'console-password');
    await p.screenshot({ path: '/tmp/fl-password-prompt.png' });

    await prompt.getByLabel('Password', { exact: true }).fill(WRONG);
    await prompt.getByRole('button', { name: 'Log in' }).click();
    await prompt.getByText('That password did not work. Check the label and try again.').waitFor({ timeout: 30_000 });
    expect(await prompt.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await p.screenshot({ path: '/tmp/fl-password-wrong.png' });

    await prompt.getByLabel('Password', { exact: true }).fill(box.password);
    await prompt.getByLabel('Remember on this laptop').check();
    await prompt.getByRole('button', { name: 'Log in' }).click();
    await p.getByText('Connected over LAN').waitFor({ timeout: 30_000 });
    await expect(prompt.count()).resolves.toBe(0);
    await p.getByText('Install the technician key on this box so you need no password next time.').waitFor();
    await p.screenshot({ path: '/tmp/fl-password-key-offer.png' });
    await typeInTerminal(p, 'echo ssh-login-$((6*7)); hostname\n');
    await expect.poll(() => screen(p), { timeout: 20_000 }).toContain('ssh-login-42');

    // Remembered under the address it was typed for, sealed: not in the database file as text.
    expect(c.app.secrets.get(boxPasswordSecret(box.ip))).toBe(box.password);
    expect(fs.readFileSync(path.join(dataDir, 'fieldlink.db')).includes(Buffer.from(box.password))).toBe(false);
    expect(c.app.audit.list({ limit: 100 }).map((a) => a.action)).toContain('credentials.remember');
    expectNoSecrets(c, [box.password, WRONG]);

    await p.context().close();
    await c.close();
    cores.splice(cores.indexOf(c), 1);

    // A new core on the same folder: no pooled connection, only the keychain.
    c = await core(dataDir);
    p = await page(c);
    await openConsole(p, `ssh://root@${box.ip}`);
    await p.getByText('Connected over LAN').waitFor({ timeout: 30_000 });
    await expect(p.getByRole('dialog', { name: 'Box password' }).count()).resolves.toBe(0);
    await typeInTerminal(p, 'echo remembered-$((40+2))\n');
    await expect.poll(() => screen(p), { timeout: 20_000 }).toContain('remembered-42');
    expectNoSecrets(c, [box.password]);
    await p.context().close();
  });

  it('serial: logs in on the console over the cable with the label password, after a wrong one', async () => {
    await logOutConsole(box);
    const c = await core(freshDir());
    const p = await page(c);
    await openConsole(p, `serial:${box.console}`);
    const prompt = p.getByRole('dialog', { name: 'Box password' });
    await prompt.waitFor({ timeout: 60_000 }).catch(async (e) => {
      await p.screenshot({ path: '/tmp/fl-serial-fail.png' });
      fs.writeFileSync('/tmp/fl-serial-fail.txt', c.eventsText() + '\n----\n' + c.logText());
      throw e;
    });
    await prompt.getByText(/over the console \(cable\)/).waitFor();
    await p.screenshot({ path: '/tmp/fl-password-serial.png' });

    await prompt.getByLabel('Password', { exact: true }).fill(WRONG);
    await prompt.getByRole('button', { name: 'Log in' }).click();
    await prompt.getByText('That password did not work. Check the label and try again.').waitFor({ timeout: 60_000 });

    await prompt.getByLabel('Password', { exact: true }).fill(box.password);
    await prompt.getByRole('button', { name: 'Log in' }).click();
    await p
      .getByText('Connected over cable')
      .waitFor({ timeout: 60_000 })
      .catch(async (e: Error) => {
        // Seen once under a loaded CI run: say what the page showed instead, so the next one is readable.
        await p.screenshot({ path: '/tmp/fl-serial-fail.png' });
        fs.writeFileSync('/tmp/fl-serial-fail.txt', c.eventsText() + '\n----\n' + c.logText());
        const shown = (await p.locator('body').innerText()).slice(0, 2000);
        throw new Error(`${e.message}\nThe page showed:\n${shown}\nCore log (tail):\n${c.logText().slice(-3000)}`);
      });
    await typeInTerminal(p, 'echo serial-login-$((6*7))\r');
    await expect.poll(() => screen(p), { timeout: 30_000 }).toContain('serial-login-42');
    // Not remembered: the box was not asked to be.
    expect(c.app.secrets.get(boxPasswordSecret(box.console))).toBeUndefined();

    // The key over the cable: the terminal lets go of the port for the install, then comes back.
    await p.getByRole('button', { name: 'Install key' }).click();
    await p
      .getByText(/The technician key is installed on this box: next time SSH needs no password/)
      .waitFor({ timeout: 60_000 })
      .catch(async (e) => {
        await p.screenshot({ path: '/tmp/fl-serial-key-fail.png' });
        fs.writeFileSync(
          '/tmp/fl-serial-key-fail.txt',
          c
            .eventsText()
            .split('\n')
            .filter((l) => !l.startsWith('box.'))
            .join('\n') +
            '\n----\n' +
            c.logText(),
        );
        throw e;
      });
    await p.getByText('Connected over cable').waitFor({ timeout: 60_000 });
    await p.screenshot({ path: '/tmp/fl-key-installed-serial.png' });
    const key = readTechnicianKey(c.app.dataDir)!;
    installedBlobs.push(key.publicKey.split(' ')[1]!);
    // Proof over the LAN with that key alone, by the real OpenSSH client: no password allowed.
    const byKey = spawnSync(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        key.privateKeyPath,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'PasswordAuthentication=no',
        '-o',
        'KbdInteractiveAuthentication=no',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'LogLevel=error',
        '-o',
        'ConnectTimeout=10',
        `root@${box.ip}`,
        'echo key-ok',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(byKey.stdout.trim(), byKey.stderr).toBe('key-ok');
    expectNoSecrets(c, [box.password, WRONG]);
    // Log out again, so the console is left at its login prompt.
    await typeInTerminal(p, 'exit\r');
    await p.context().close();
  });

  it('installs the technician key after a password login; the next SSH connection needs no password', async () => {
    const dataDir = freshDir();
    let c = await core(dataDir);
    let p = await page(c);
    await openConsole(p, `ssh://root@${box.ip}`);
    await p.getByRole('alertdialog', { name: 'Unknown host key' }).getByRole('button', { name: 'Trust on first use' }).click();
    const prompt = p.getByRole('dialog', { name: 'Box password' });
    await prompt.getByLabel('Password', { exact: true }).fill(box.password);
    await prompt.getByRole('button', { name: 'Log in' }).click();
    await p.getByText('Connected over LAN').waitFor({ timeout: 30_000 });

    const key = readTechnicianKey(dataDir);
    await p.getByRole('button', { name: 'Install key' }).click();
    await p.getByText(/The technician key is installed on this box and works/).waitFor({ timeout: 30_000 });
    const installed = readTechnicianKey(dataDir)!;
    expect(key === null || key.fingerprint === installed.fingerprint).toBe(true);
    const blob = installed.publicKey.split(' ')[1]!;
    installedBlobs.push(blob);
    await p.screenshot({ path: '/tmp/fl-key-installed.png' });

    // On the box: one line, folder 0700 and file 0600; a second install adds nothing.
    const again = await c.app.dispatch('keys.install', { target: `ssh://root@${box.ip}` });
    expect(again).toMatchObject({ ok: true, value: { added: false, verified: true } });
    const onBox = await ssh(box, `stat -c '%a' /root/.ssh /root/.ssh/authorized_keys; grep -c '${blob}' /root/.ssh/authorized_keys`);
    expect(onBox.stdout.trim().split('\n')).toEqual(['700', '600', '1']);
    expect(c.app.secrets.names()).toEqual([]);
    expectNoSecrets(c, [box.password]);

    await p.context().close();
    await c.close();
    cores.splice(cores.indexOf(c), 1);

    // A fresh core, no password anywhere on this laptop: the key alone gets in.
    c = await core(dataDir);
    p = await page(c);
    await openConsole(p, `ssh://root@${box.ip}`);
    await p.getByText('Connected over LAN').waitFor({ timeout: 30_000 });
    await expect(p.getByRole('dialog', { name: 'Box password' }).count()).resolves.toBe(0);
    await expect(p.getByText('Install the technician key').count()).resolves.toBe(0);
    await typeInTerminal(p, 'echo by-key-$((6*7))\n');
    await expect.poll(() => screen(p), { timeout: 20_000 }).toContain('by-key-42');
    expect(c.logText()).toMatch(/"method":"key [^"]*technician_ed25519"/);
    await p.context().close();
  });
});
