import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labStatus, ssh, sshOk } from './helpers.ts';

describe('boxes over OpenSSH', () => {
  it('every box lets root in with the label password, as its own host with its own identity', async () => {
    const s = await labStatus();
    const seen = new Set<string>();
    for (const b of s.boxes.slice(0, 6)) {
      const out = await sshOk(b, 'hostname; cat /etc/machine-id; dmidecode -s system-serial-number; uname -m; echo $HOME; ls -A /root');
      const [host, mid, serial, machine, home] = out.trim().split('\n');
      expect(host).toBe(b.hostname);
      expect(mid).toBe(b.machineId);
      expect(serial).toBe(b.serial);
      expect(machine).toBe(b.arch === 'arm64' ? 'aarch64' : 'x86_64');
      expect(home).toBe('/root');
      // The build machine's root profile (pyenv, cargo…) must not leak into a box.
      expect(out).not.toMatch(/\.pyenv|\.cargo/);
      seen.add(mid!);
    }
    expect(seen.size).toBe(Math.min(6, s.boxes.length));
  });

  it('a box has its own process table: pid 1 is its init and nothing of the build machine shows', async () => {
    const s = await labStatus();
    const out = await sshOk(s.boxes[0]!, 'ps -eo pid=,comm=');
    const procs = out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(procs.find((p) => p[0] === '1')).toBeDefined();
    // The test runner and the lab daemons are node processes on the build machine.
    expect(procs.map((p) => p[1])).not.toContain('node');
    expect(procs.map((p) => p[1])).toContain('sshd');
  });

  it('refuses a wrong password', async () => {
    const s = await labStatus();
    const r = await ssh({ ip: s.boxes[0]!.ip, password: 'not-the-label' }, 'true');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it('each box presents the host key that status reports, and no two boxes share one', async () => {
    const s = await labStatus();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-keys-'));
    try {
      const all = new Set<string>();
      for (const b of s.boxes.slice(0, 3)) {
        const scan = execFileSync('ssh-keyscan', ['-T', '10', '-t', 'ed25519', b.ip], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        fs.writeFileSync(path.join(dir, b.name), scan);
        const fp = execFileSync('ssh-keygen', ['-lf', path.join(dir, b.name)], { encoding: 'utf8' }).split(' ')[1];
        expect(b.hostKeys.map((k) => k.fingerprint)).toContain(fp);
        all.add(fp!);
        // Strict checking against the scanned key works: what a pinned client does.
        const r = await ssh(b, 'true', { knownHosts: path.join(dir, b.name) });
        expect(r.code).toBe(0);
      }
      expect(all.size).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a box cannot change the build machine: /usr is read-only and /etc is the box own', async () => {
    const s = await labStatus();
    const b = s.boxes[0]!;
    const r = await ssh(b, 'touch /usr/fl-should-not-exist');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
    await sshOk(b, 'echo probe > /etc/fl-lab-probe');
    expect(fs.existsSync('/etc/fl-lab-probe')).toBe(false);
    await sshOk(b, 'rm /etc/fl-lab-probe');
  });
});
