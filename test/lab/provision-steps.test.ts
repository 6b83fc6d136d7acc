import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { ensureTechnicianKey, type TechnicianKey } from '../../electron/core/keys/index.ts';
import { factsStep, hostnameFor, hostnameStep, keysStep, loadProfile, runSteps, type Profile, type StepContext } from '../../electron/core/provision/index.ts';
import { connectSsh, fingerprintOf, keyTypeOf, type HostKeyCheck, type Shell } from '../../electron/core/transport/index.ts';
import { REPO, labStatus, ssh, sshOk } from './helpers.ts';

/**
 * The first provisioning steps (facts, hostname, keys) on box-04 as the factory left it, over a
 * real SSH shell with the label password, then again to prove the second run finds nothing to do.
 * The box's hostname and authorized_keys are put back afterwards, so it stays a factory box.
 */
const BOX = 'box-04';

/** The lab's boxes are throwaway: any host key is taken (trust has its own suites). */
const anyKey: HostKeyCheck = {
  pinnedKeyTypes: [],
  interactive: false,
  verify: async (_host, _port, blob) => ({
    ok: true,
    key: { keyType: keyTypeOf(blob), fingerprint: fingerprintOf(blob), publicKey: `${keyTypeOf(blob)} ${blob.toString('base64')}` },
  }),
};

describe('provisioning steps on a factory box', () => {
  let box: BoxStatus;
  let key: TechnicianKey;
  let profile: Profile;
  let shell: Shell;
  let saved: { authorizedKeys: string | null; sshDir: boolean };

  beforeAll(async () => {
    const s = await labStatus();
    const b = s.boxes.find((x) => x.name === BOX);
    if (!b || b.state !== 'factory' || b.power !== 'on') throw new Error(`${BOX} must be a powered-on factory box for this suite (it is ${b?.state ?? 'missing'}).`);
    box = b;
    const r = await ssh(box, 'cat ~/.ssh/authorized_keys 2>/dev/null || echo __none__');
    const dir = await ssh(box, '[ -d ~/.ssh ] && echo yes || echo no');
    saved = { authorizedKeys: r.stdout.trim() === '__none__' ? null : r.stdout, sshDir: dir.stdout.trim() === 'yes' };
    key = ensureTechnicianKey(fs.mkdtempSync(path.join(os.tmpdir(), 'fl-prov-')));
    profile = loadProfile(path.join(REPO, 'assets', 'profiles', 'example.yaml'));
    shell = await connectSsh({ host: box.ip, agent: '', identityFiles: [], password: async () => box.password, trust: anyKey, timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await shell?.close();
    if (!box) return;
    // Back to the factory state other suites expect: its own hostname, its own authorized_keys.
    await sshOk(box, `hostnamectl set-hostname ${box.hostname}`);
    if (saved.authorizedKeys === null) await sshOk(box, `rm -f ~/.ssh/authorized_keys${saved.sshDir ? '' : ' && rmdir ~/.ssh'}`);
    else await ssh(box, 'cat > ~/.ssh/authorized_keys', { input: saved.authorizedKeys });
  });

  it('reads the facts, sets the hostname from the serial, installs the technician key; a second run and a dry run find it done', async () => {
    const ctx: StepContext = { shell, profile, technicianKey: key.publicKey };
    const steps = [factsStep, hostnameStep, keysStep];
    const t0 = performance.now();
    const first = await runSteps(steps, ctx);
    const firstMs = performance.now() - t0;
    expect(first.map((o) => [o.id, o.outcome, o.error?.message])).toEqual([
      ['facts', 'done', undefined],
      ['hostname', 'changed', undefined],
      ['keys', 'changed', undefined],
    ]);
    expect(ctx.facts).toMatchObject({ arch: box.arch, serial: box.serial, user: 'root', hostname: box.hostname, init: 'systemd' });
    expect(ctx.facts!.osId).not.toBe('');
    const name = hostnameFor(profile, { serial: box.serial });
    expect(first[1]!.drift).toContain(`hostname: ${box.hostname} -> ${name}`);
    expect((await sshOk(box, 'hostname; cat /etc/hostname')).trim().split('\n')).toEqual([name, name]);
    expect((await sshOk(box, 'stat -c %a ~/.ssh ~/.ssh/authorized_keys')).trim().split('\n')).toEqual(['700', '600']);

    const t1 = performance.now();
    const second = await runSteps(steps, { shell, profile, technicianKey: key.publicKey });
    const secondMs = performance.now() - t1;
    expect(second.map((o) => [o.id, o.outcome, o.drift])).toEqual([
      ['facts', 'done', []],
      ['hostname', 'done', []],
      ['keys', 'done', []],
    ]);
    const dry = await runSteps(steps, { shell, profile, technicianKey: key.publicKey }, { dryRun: true });
    expect(dry.every((o) => o.outcome === 'done' && o.drift.length === 0)).toBe(true);
    console.log(`facts+hostname+keys on ${BOX}: first run ${firstMs.toFixed(0)} ms, second run (all done) ${secondMs.toFixed(0)} ms`);
  });

  it('the installed technician key logs in on its own', async () => {
    const keyed = await connectSsh({ host: box.ip, agent: '', identityFiles: [key.privateKeyPath], password: async () => undefined, trust: anyKey, timeoutMs: 20_000 });
    try {
      const r = await keyed.exec('hostname', { timeoutMs: 10_000 });
      expect(Buffer.from(r.stdout).toString().trim()).toBe(hostnameFor(profile, { serial: box.serial }));
    } finally {
      await keyed.close();
    }
  });
});
