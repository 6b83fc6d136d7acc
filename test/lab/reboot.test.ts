import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { readState, boxPids } from '../../lab/index.ts';
import { lab, labStatus, sshOk, until } from './helpers.ts';

/**
 * Dead includes a zombie (this machine's init reaps orphans only now and then) and a process in its
 * exit path (PF_EXITING: the box's old pid 1 waits there until its namespace is reaped).
 */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return f[0] !== 'Z' && (Number(f[6]) & 0x4) === 0;
  } catch {
    return false;
  }
}

describe('reboot', () => {
  it('kills every process of the box and starts them again, with a new boot id', async () => {
    const s = await labStatus();
    const b = s.boxes[2]!;
    const rec = readState()!.boxes.find((x) => x.name === b.name)!;
    const bootBefore = (await sshOk(b, 'cat /proc/sys/kernel/random/boot_id >/dev/null; journalctl --list-boots | wc -l; cat /run/lab/boot-id')).trim().split('\n');
    const before = boxPids(rec);
    expect(before.length).toBeGreaterThanOrEqual(3);
    // A session left open on the box dies with it, as on a real power cycle.
    expect((await lab('reboot', b.name)).code).toBe(0);
    for (const p of before) expect(running(p), `pid ${p} survived the reboot`).toBe(false);
    const after = boxPids(rec);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after.filter((p) => before.includes(p))).toEqual([]);
    const out = await until(async () => sshOk(b, 'journalctl --list-boots | wc -l; cat /run/lab/boot-id'), 20_000, 'ssh after reboot');
    const [boots, bootId] = out.trim().split('\n');
    expect(Number(boots)).toBe(Number(bootBefore[0]) + 1);
    expect(bootId).not.toBe(bootBefore[1]);
  });

  it('a box can reboot itself with `reboot`', async () => {
    const s = await labStatus();
    const b = s.boxes[2]!;
    const id1 = (await sshOk(b, 'cat /run/lab/boot-id')).trim();
    await sshOk(b, 'reboot');
    const id2 = await until(
      async () => {
        const v = (await sshOk(b, 'cat /run/lab/boot-id')).trim();
        return v !== id1 ? v : null;
      },
      30_000,
      'box did not come back with a new boot id',
    );
    expect(id2).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses an unknown box name with a clear message', async () => {
    const r = await lab('reboot', 'box-99');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No box named "box-99"/);
    const r2 = await lab('unplug', 'router');
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/No box named "router".*box-01/s);
  });
});
