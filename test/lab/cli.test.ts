import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { lab, labStatus, REPO } from './helpers.ts';

function asNobody(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', path.join(REPO, 'node_modules/.bin/node'), path.join(REPO, 'bin/fieldlink-lab.js'), ...args],
      (err, _o, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describe('fieldlink-lab command line: bad input', () => {
  it('status --json has the fields other code depends on', async () => {
    const s = await labStatus();
    expect(s).toMatchObject({ up: true, tech: { ns: 'fl-tech', ip: '10.77.0.2' }, collector: { ns: 'fl-cloud', ip: '10.78.0.2' } });
    for (const b of s.boxes) {
      expect(Object.keys(b)).toEqual(
        expect.arrayContaining(['name', 'ns', 'serial', 'model', 'vendor', 'arch', 'ip', 'password', 'console', 'baud', 'state', 'api', 'memoryKiB', 'hostKeys']),
      );
      expect(b.memoryKiB).toBeGreaterThan(0);
      expect(b.hostKeys.length).toBeGreaterThanOrEqual(1);
    }
  });

  it('a second up with other settings is refused and leaves the running lab alone', async () => {
    const before = await labStatus();
    const r = await lab('up', '--boxes', String(before.boxes.length + 1));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already up/);
    const after = await labStatus();
    expect(after.boxes.map((b) => b.serial)).toEqual(before.boxes.map((b) => b.serial));
  });

  it('usage errors exit 2 with a message', async () => {
    expect((await lab('up')).code).toBe(2);
    expect((await lab('up', '--boxes', 'many')).code).toBe(2);
    expect((await lab('frobnicate')).code).toBe(2);
    const r = await lab('reboot');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs one box name/);
  });

  it('without root it says so and changes nothing', async () => {
    const r = await asNobody(['down']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs root/);
    expect((await labStatus()).up).toBe(true);
  });
});
