import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BoxStatus, LabStatus } from '../../lab/index.ts';
import { createApp, type App } from '../../electron/core/app.ts';
import { boxPasswordSecret } from '../../electron/core/connections/index.ts';
import { REPO, labStatus } from '../lab/helpers.ts';

/**
 * The shells through their front doors, against the lab's real sshd and serial consoles: the CLI as
 * a technician types it, and the Console view's contract calls on the core.
 */
const BIN = path.join(REPO, 'bin', 'fieldlink.js');

function fieldlink(args: string[], opts: { input?: string; dataDir: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, '--data-dir', opts.dataDir, ...args], { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? '');
  });
}

describe('fieldlink trust / exec / put / keys against the lab', () => {
  let lab: LabStatus;
  let box: BoxStatus;
  let other: BoxStatus;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-front-'));

  beforeAll(async () => {
    lab = await labStatus();
    box = lab.boxes.at(-1)!;
    other = lab.boxes.at(-2)!;
  });

  it('refuses a box whose key nobody pinned, before sending the password', async () => {
    const r = await fieldlink(['exec', `ssh://root@${other.ip}`, '--password-stdin', '--', 'true'], { input: `${other.password}\n`, dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not pinned yet/);
  });

  it('pins the host keys read over the serial cable, for the address the box reports', async () => {
    const r = await fieldlink(['trust', `serial:${box.console}`, '--password-stdin', '--json'], { input: `${box.password}\n`, dataDir });
    expect(r.stderr).not.toContain(box.password);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { boxId: string; addresses: string[]; pins: { host: string; fingerprint: string; source: string }[] };
    expect(out.boxId).toBe(box.serial);
    expect(out.addresses).toContain(box.ip);
    const want = box.hostKeys.map((k) => k.fingerprint).sort();
    expect(
      out.pins
        .filter((p) => p.host === box.ip)
        .map((p) => p.fingerprint)
        .sort(),
    ).toEqual(want);
    expect(out.pins.every((p) => p.source === 'serial')).toBe(true);
  });

  it('then reaches the box over the LAN already verified, and exits with the remote status', async () => {
    const r = await fieldlink(['exec', box.serial, '--password-stdin', '--', 'hostname; exit 3'], { input: `${box.password}\n`, dataDir });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(box.hostname);
    expect(r.code).toBe(3);
    const boxes = await fieldlink(['boxes'], { dataDir });
    expect(boxes.stdout).toMatch(/Pinned by cable/);
  });

  it("refuses a changed host key before any credential is sent, as the box's own sshd log shows", async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-changed-'));
    const app = createApp({ host: 'test', dataDir: elsewhere });
    app.trust.pin({ host: box.ip, port: 22, keyType: 'ssh-ed25519', fingerprint: `SHA256:${crypto.randomBytes(32).toString('base64').slice(0, 43)}`, source: 'typed' });
    await app.close();
    const since = Math.floor(Date.now() / 1000) - 1;
    const refused = await fieldlink(['exec', `ssh://root@${box.ip}`, '--password-stdin', '--', 'true'], { input: `${box.password}\n`, dataDir: elsewhere });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/CHANGED/);
    // Read the box's sshd journal through the already-verified connection of the other data folder,
    // until the refused connection's goodbye (logged "[preauth]": it ended before any authentication)
    // has reached the journal. Logins of this and earlier tests are in the window too; they are
    // told apart by their source port.
    const preauthPort = /^(?:Received disconnect|Disconnected|Connection closed|Connection reset) (?:from|by) \S+ port (\d+).*\[preauth\]$/;
    let lines: string[] = [];
    for (let i = 0; i < 20 && !lines.some((l) => preauthPort.test(l)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      const log = await fieldlink(['exec', box.serial, '--password-stdin', '--json', '--', `journalctl -u ssh -o cat --no-pager --since @${since}`], {
        input: `${box.password}\n`,
        dataDir,
      });
      lines = (JSON.parse(log.stdout) as { stdout: string }).stdout.split('\n');
    }
    const refusedPorts = new Set(lines.map((l) => preauthPort.exec(l)?.[1]).filter((p) => p !== undefined));
    expect(refusedPorts.size, lines.join('\n')).toBeGreaterThan(0);
    expect(lines.filter((l) => /Failed|Invalid user|authenticating user|Postponed/.test(l))).toEqual([]);
    for (const port of refusedPorts) expect(lines.filter((l) => /^Accepted /.test(l) && l.includes(` port ${port} `))).toEqual([]);
  });

  it('copies a file with put and the box holds the same bytes', async () => {
    const local = path.join(dataDir, 'payload.bin');
    const bytes = crypto.randomBytes(200_000);
    fs.writeFileSync(local, bytes, { mode: 0o640 });
    const put = await fieldlink(['put', box.serial, local, '/root/payload.bin', '--password-stdin'], { input: `${box.password}\n`, dataDir });
    expect(put.code, put.stderr).toBe(0);
    const sum = await fieldlink(['exec', box.serial, '--password-stdin', '--json', '--', 'sha256sum /root/payload.bin; stat -c %a /root/payload.bin; rm /root/payload.bin'], {
      input: `${box.password}\n`,
      dataDir,
    });
    const out = JSON.parse(sum.stdout) as { code: number; stdout: string };
    expect(out.stdout.split(/\s+/)[0]).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
    expect(out.stdout).toMatch(/\n640\n/);
  });

  it('shows the technician key to paste into a profile', async () => {
    const r = await fieldlink(['keys', '--json'], { dataDir });
    expect(JSON.parse(r.stdout)).toMatchObject({ publicKey: expect.stringMatching(/^ssh-ed25519 /), fingerprint: expect.stringMatching(/^SHA256:/) });
  });
});

describe('the Console view over SSH and over the cable', () => {
  let app: App;
  let lab: LabStatus;
  beforeAll(async () => {
    lab = await labStatus();
    app = createApp({ host: 'test', dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'fl-console-')) });
  });
  afterAll(() => app.close());

  /** Opens a console through the contract and waits until `marker` shows in its output. */
  async function typeAndSee(target: string, line: string, marker: string): Promise<void> {
    const seen: string[] = [];
    const off = app.bus.on('console.data', (e) => seen.push(e.data));
    try {
      const opened = await app.dispatch('console.open', { target, cols: 100, rows: 30 });
      if (!opened.ok) throw new Error(`${opened.error.code}: ${opened.error.message}`);
      const { sessionId } = opened.value as { sessionId: string };
      await app.dispatch('console.write', { sessionId, data: `${line}\r` });
      const deadline = Date.now() + 60_000;
      while (!seen.join('').includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen.join('')).toContain(marker);
      expect(await app.dispatch('console.close', { sessionId })).toMatchObject({ ok: true });
    } finally {
      off();
    }
  }

  it('asks for trust on an unknown key, then runs a real terminal once it is pinned', async () => {
    const box = lab.boxes[0]!;
    app.secrets.set(boxPasswordSecret(box.ip), box.password);
    const refused = await app.dispatch('console.open', { target: `ssh://root@${box.ip}`, cols: 80, rows: 24 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'HOST_KEY_UNKNOWN', details: { host: box.ip, port: 22 } } });
    const offered = (refused.ok ? [] : (refused.error.details!.offered as { keyType: string; fingerprint: string }[]))[0]!;
    expect(box.hostKeys.map((k) => k.fingerprint)).toContain(offered.fingerprint);
    expect(
      await app.dispatch('trust.pin', { host: box.ip, keyType: offered.keyType, fingerprint: offered.fingerprint, source: 'typed', typed: offered.fingerprint }),
    ).toMatchObject({ ok: true });
    await typeAndSee(`ssh://root@${box.ip}`, 'echo fl-$((6*7))', 'fl-42');
  });

  it('hands the serial console to the terminal, logged in', async () => {
    const box = lab.boxes[1]!;
    app.secrets.set(boxPasswordSecret(box.console), box.password);
    await typeAndSee(`serial:${box.console}`, 'echo cable-$((6*7))', 'cable-42');
  });
});
