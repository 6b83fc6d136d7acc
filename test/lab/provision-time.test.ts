import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { factsStep, loadProfile, runSteps, timeStep, type Profile } from '../../electron/core/provision/index.ts';
import { connectSsh, fingerprintOf, keyTypeOf, type HostKeyCheck, type Shell } from '../../electron/core/transport/index.ts';
import { REPO, lab, labStatus, ssh, sshOk } from './helpers.ts';

/**
 * The time step on a box whose clock is two hours behind and that no time server corrects (the lab
 * site's NTP server does not answer): the step sees the offset through the box's own `date`, sets
 * the clock from the laptop's, and a second check finds it done.
 */
const BOX = 'box-04';
const anyKey: HostKeyCheck = {
  pinnedKeyTypes: [],
  interactive: false,
  verify: async (_host, _port, blob) => ({
    ok: true,
    key: { keyType: keyTypeOf(blob), fingerprint: fingerprintOf(blob), publicKey: `${keyTypeOf(blob)} ${blob.toString('base64')}` },
  }),
};

describe('the time step on a box with its clock off', { timeout: 60_000 }, () => {
  let box: BoxStatus;
  let shell: Shell;
  let profile: Profile;
  let saved: string;

  beforeAll(async () => {
    box = (await labStatus()).boxes.find((b) => b.name === BOX)!;
    saved = await sshOk(box, 'readlink /etc/localtime || echo none; cat /etc/systemd/timesyncd.conf.d/50-fieldlink.conf 2>/dev/null || echo none');
    profile = loadProfile(path.join(REPO, 'assets', 'profiles', 'example.yaml'));
    shell = await connectSsh({ host: box.ip, agent: '', identityFiles: [], password: async () => box.password, trust: anyKey, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await shell?.close();
    await lab('clock', BOX, '--offset=0');
    const [tz, ntp] = saved.split('\n');
    await ssh(
      box,
      [tz === 'none' ? 'rm -f /etc/localtime' : `ln -sf ${tz} /etc/localtime`, ntp === 'none' ? 'rm -f /etc/systemd/timesyncd.conf.d/50-fieldlink.conf' : 'true'].join('; '),
    );
  });

  it('a clock two hours behind shows in date, timedatectl and the lab status', async () => {
    expect((await lab('clock', BOX, '--offset=-7200')).code).toBe(0);
    const boxEpoch = Number((await sshOk(box, 'date -u +%s')).trim());
    expect(boxEpoch - Date.now() / 1000).toBeGreaterThan(-7205);
    expect(boxEpoch - Date.now() / 1000).toBeLessThan(-7195);
    const shown = await sshOk(box, 'timedatectl status | sed -n "s/ *Universal time: //p"');
    expect(Math.abs(Date.parse(shown.trim().replace(/^\w+ /, '')) / 1000 - boxEpoch)).toBeLessThan(5);
    expect((await labStatus()).boxes.find((b) => b.name === BOX)!.clockOffsetS).toBe(-7200);
  });

  it('the time step sets the clock from the laptop, and a second check finds nothing to do', async () => {
    const log: string[] = [];
    const ctx = { shell, profile, technicianKey: null };
    const first = await runSteps([factsStep, timeStep], ctx, { onEvent: (e) => e.type === 'progress' && log.push(e.message) });
    expect(first.map((o) => [o.id, o.outcome, o.error?.message])).toEqual([
      ['facts', 'done', undefined],
      ['time', 'changed', undefined],
    ]);
    expect(first[1]!.drift).toContainEqual(expect.stringMatching(/^clock: 7\d{3} s behind the laptop -> set from the laptop$/));
    expect(log).toContainEqual(expect.stringMatching(/The box clock is 7\d{3} s off; setting it from the laptop/));
    const boxEpoch = Number((await sshOk(box, 'date -u +%s')).trim());
    expect(Math.abs(boxEpoch - Date.now() / 1000)).toBeLessThan(5);
    const again = await runSteps([factsStep, timeStep], { ...ctx, facts: undefined }, { dryRun: true });
    expect(again.map((o) => [o.id, o.outcome, o.drift])).toEqual([
      ['facts', 'done', []],
      ['time', 'done', []],
    ]);
  });
});
