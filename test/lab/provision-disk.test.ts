import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { ensureTechnicianKey, type TechnicianKey } from '../../electron/core/keys/index.ts';
import { ArtifactCache } from '../../electron/core/provision/artifacts.ts';
import { factsStep, k3sStep, keysStep, loadProfile, runSteps, type Profile, type StepContext } from '../../electron/core/provision/index.ts';
import { connectSsh, fingerprintOf, keyTypeOf, type HostKeyCheck, type Shell } from '../../electron/core/transport/index.ts';
import { REPO, lab, labStatus, ssh, sshOk } from './helpers.ts';
import { buildRelease } from './provision-helpers.ts';

/**
 * Provisioning a box whose disk is full (`fieldlink-lab disk box-04 --full`: every write on the box
 * fails with ENOSPC): each step that writes says the disk is full, nothing half-written is left,
 * and once there is room again the same step goes through.
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
const BOX_STATE = 'cat ~/.ssh/authorized_keys 2>/dev/null | wc -l; ls /usr/local/bin/k3s /var/lib/rancher/k3s/agent/images 2>&1 | sort';

describe('provisioning a box with a full disk', { timeout: 90_000 }, () => {
  let box: BoxStatus;
  let shell: Shell;
  let profile: Profile;
  let key: TechnicianKey;
  let artifacts: ArtifactCache;
  let savedKeys: string;

  beforeAll(async () => {
    box = (await labStatus()).boxes.find((b) => b.name === BOX)!;
    if (box.state !== 'factory') throw new Error(`${BOX} must be a factory box for this suite.`);
    savedKeys = await sshOk(box, 'cat ~/.ssh/authorized_keys 2>/dev/null || echo __none__');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-disk-'));
    key = ensureTechnicianKey(dir);
    artifacts = new ArtifactCache(dir);
    await artifacts.add(buildRelease(path.join(dir, 'usb')));
    profile = loadProfile(path.join(REPO, 'assets', 'profiles', 'example.yaml'));
    shell = await connectSsh({ host: box.ip, agent: '', identityFiles: [], password: async () => box.password, trust: anyKey, timeoutMs: 10_000 });
    expect((await lab('disk', BOX, '--full')).code).toBe(0);
  });

  afterAll(async () => {
    await shell?.close();
    await lab('disk', BOX, '--free');
    await ssh(box, savedKeys.trim() === '__none__' ? 'rm -rf ~/.ssh' : 'cat > ~/.ssh/authorized_keys', savedKeys.trim() === '__none__' ? {} : { input: savedKeys });
    await ssh(box, 'rm -rf /var/lib/fieldlink /var/lib/rancher /etc/rancher');
  });

  const ctx = (): StepContext => ({ shell, profile, technicianKey: key.publicKey, artifacts });

  it('the lab disk is really full: the box has no room left and a write on it fails', async () => {
    expect((await labStatus()).boxes.find((b) => b.name === BOX)!.disk.freeKiB).toBe(0);
    expect((await ssh(box, 'echo x > /var/tmp/fill-probe')).stderr).toMatch(/No space left on device/);
  });

  it('the keys step says the disk is full, and the box keeps the keys it had', async () => {
    const before = await sshOk(box, BOX_STATE);
    const out = await runSteps([factsStep, keysStep], ctx());
    expect(out[1]).toMatchObject({ id: 'keys', outcome: 'failed', error: { code: 'REMOTE_FAILED' } });
    expect(out[1]!.error!.message).toMatch(/^The box's disk is full: the box did not take the technician key .*Free space on the box/);
    expect(await sshOk(box, BOX_STATE)).toBe(before);
  });

  it('the k3s step refuses before sending anything, saying how much room it needs', async () => {
    const out = await runSteps([factsStep, k3sStep], ctx());
    expect(out[1]).toMatchObject({ id: 'k3s', outcome: 'failed' });
    expect(out[1]!.error!.message).toMatch(/^The box's disk is full: it has 0 MiB free where k3s goes .* needs about \d+ MiB; nothing of k3s was sent/);
    expect(await sshOk(box, 'ls /usr/local/bin/k3s 2>&1; ls /var/lib/rancher/k3s/agent/images | wc -l')).toMatch(/No such file[\s\S]*^0$/m);
  });

  it('with room again, the same keys step goes through', async () => {
    expect((await lab('disk', BOX, '--free')).code).toBe(0);
    const out = await runSteps([factsStep, keysStep], ctx());
    expect(out.map((o) => [o.id, o.outcome, o.error?.message])).toEqual([
      ['facts', 'done', undefined],
      ['keys', 'changed', undefined],
    ]);
  });
});
