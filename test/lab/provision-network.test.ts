import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { factsStep, loadProfile, networkStep, ROLLBACK_AFTER_S, runSteps, type Profile, type StepContext } from '../../electron/core/provision/index.ts';
import { connectSsh, fingerprintOf, keyTypeOf, type HostKeyCheck, type Shell } from '../../electron/core/transport/index.ts';
import { REPO, lab, labStatus, ssh, sshOk, until } from './helpers.ts';

/**
 * The network step on the three network managers a lab box may run (box-03 netplan, box-04
 * systemd-networkd, box-05 NetworkManager: lab/box/facts.ts), over real SSH. Each box's network
 * folders are saved first and put back after, so the other suites find the boxes as the factory
 * left them.
 */
const anyKey: HostKeyCheck = {
  pinnedKeyTypes: [],
  interactive: false,
  verify: async (_host, _port, blob) => ({
    ok: true,
    key: { keyType: keyTypeOf(blob), fingerprint: fingerprintOf(blob), publicKey: `${keyTypeOf(blob)} ${blob.toString('base64')}` },
  }),
};
const FOLDERS = 'netplan systemd/network NetworkManager';
const SAVE = `cd /etc && tar -cf /root/.network-before.tar $(for d in ${FOLDERS}; do [ -d $d ] && echo $d; done)`;
const RESTORE = `cd /etc && rm -rf ${FOLDERS} && tar -xpf /root/.network-before.tar && rm -f /root/.network-before.tar && rm -rf /var/lib/fieldlink/network && lab-net apply`;

describe('the network step on each network manager', { timeout: 150_000 }, () => {
  let boxes: Record<string, BoxStatus>;
  let example: Profile;
  const opened: Shell[] = [];
  const open = async (b: BoxStatus) => {
    const s = await connectSsh({ host: b.ip, agent: '', identityFiles: [], password: async () => b.password, trust: anyKey, timeoutMs: 8000 });
    opened.push(s);
    return s;
  };
  const contextFor = async (b: BoxStatus, network: Profile['network']): Promise<StepContext> => ({
    shell: await open(b),
    profile: { ...example, network },
    technicianKey: null,
    reopen: () => open(b),
  });

  beforeAll(async () => {
    const s = await labStatus();
    boxes = Object.fromEntries(s.boxes.map((b) => [b.name, b]));
    for (const [name, network] of [
      ['box-03', 'netplan'],
      ['box-04', 'systemd-networkd'],
      ['box-05', 'networkmanager'],
    ] as const) {
      if (boxes[name]?.network !== network || boxes[name]?.power !== 'on') throw new Error(`${name} must be a powered-on ${network} box for this suite.`);
      await sshOk(boxes[name], SAVE);
    }
    example = loadProfile(path.join(REPO, 'assets', 'profiles', 'example.yaml'));
  });

  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
    for (const name of ['box-03', 'box-04', 'box-05']) if (boxes?.[name]) await ssh(boxes[name], RESTORE);
  });

  it.each(['box-03', 'box-04', 'box-05'])('%s: a static address with gateway and DNS goes in through the box own manager, and a second check finds it done', async (name) => {
    const b = boxes[name]!;
    const network = { mode: 'static' as const, address: `${b.ip}/24`, gateway: '10.77.0.1', dns: ['10.77.0.1'], search: ['lab.local'] };
    const ctx = await contextFor(b, network);
    const t0 = performance.now();
    const first = await runSteps([factsStep, networkStep], ctx);
    const ms = performance.now() - t0;
    expect(first.map((o) => [o.id, o.outcome, o.error?.message])).toEqual([
      ['facts', 'done', undefined],
      ['network', 'changed', undefined],
    ]);
    expect(first[1]!.drift).toContain('default gateway: none -> 10.77.0.1');
    // What the box runs now, read with the real tools.
    const live = await sshOk(b, 'ip -4 route show default; cat /etc/resolv.conf; ip -4 -o addr show dev eth0 scope global | wc -l; ls /var/lib/fieldlink/network/previous');
    expect(live).toContain('default via 10.77.0.1 dev eth0');
    expect(live).toContain('nameserver 10.77.0.1');
    expect(live).toContain('search lab.local');
    expect(live).toMatch(/^1$/m);
    expect(live).toMatch(/50-factory\.(yaml|network)|factory-eth0\.nmconnection/);
    const files = await sshOk(
      b,
      `stat -c '%a %n' ${{ 'box-03': '/etc/netplan/*', 'box-04': '/etc/systemd/network/*', 'box-05': '/etc/NetworkManager/system-connections/*' }[name]}`,
    );
    expect(files.trim().split('\n')).toEqual([expect.stringMatching(/^600 .*fieldlink/)]);
    // Nothing is left to roll it back: the confirmation took the pending change away.
    expect(await sshOk(b, 'ls /var/lib/fieldlink/network')).toBe('previous\n');

    const again = await runSteps([factsStep, networkStep], { ...ctx, facts: undefined }, { dryRun: true });
    expect(again.map((o) => [o.id, o.outcome, o.drift])).toEqual([
      ['facts', 'done', []],
      ['network', 'done', []],
    ]);
    console.log(`network on ${name} (${b.network}): static set and confirmed in ${ms.toFixed(0)} ms`);
  });

  it('box-03: the settings are in the files, so the box comes back with them after a reboot', async () => {
    const b = boxes['box-03']!;
    expect((await lab('reboot', b.name)).code).toBe(0);
    const live = await until(async () => sshOk(b, 'ip -4 route show default; ip -4 -o addr show dev eth0 scope global'), 20_000, 'ssh after reboot');
    expect(live).toContain('default via 10.77.0.1 dev eth0');
    expect(live).toContain(`inet ${b.ip}/24`);
  });

  // The lab's kernel cannot make VLAN links at all, so here the VLAN link never appears, as under
  // systemd-networkd when its netdev fails; eth0 gives up its address either way and the box is cut off.
  it('box-04: a VLAN the LAN does not carry cuts the box off; it puts its old settings back by itself and answers again', async () => {
    const b = boxes['box-04']!;
    const before = await sshOk(b, 'ls /etc/systemd/network; cat /etc/systemd/network/*');
    const ctx = await contextFor(b, { mode: 'static', address: `${b.ip}/24`, gateway: '10.77.0.1', dns: ['10.77.0.1'], vlan: 20 });
    const log: string[] = [];
    const t0 = performance.now();
    const out = await runSteps([factsStep, networkStep], ctx, { onEvent: (e) => e.type === 'progress' && log.push(e.message) });
    const ms = performance.now() - t0;
    expect(out[1]).toMatchObject({ id: 'network', outcome: 'failed', error: { code: 'REMOTE_FAILED' } });
    expect(out[1]!.error!.message).toMatch(/cut the box off, so the box put its old settings back by itself and answers again at 10\.77\.0\.14/);
    expect(log.some((l) => /Cannot reach the box on its new settings/.test(l))).toBe(true);
    // The box as it was: the same files, its address on eth0, no VLAN link.
    expect(await sshOk(b, 'ls /etc/systemd/network; cat /etc/systemd/network/*')).toBe(before);
    const links = await sshOk(b, 'ip -o link show; ip -4 -o addr show scope global');
    expect(links).not.toContain('eth0.20');
    expect(links).toContain(`inet ${b.ip}/24`);
    expect(ms).toBeGreaterThan(ROLLBACK_AFTER_S * 1000);
    console.log(`network on box-04: VLAN cut-off rolled back and the box reached again after ${ms.toFixed(0)} ms`);
  });

  it('refuses, before changing anything, a static address other than the one the LAN reaches the box at', async () => {
    const b = boxes['box-03']!;
    const before = await sshOk(b, 'ls /etc/netplan; ip -4 -o addr show scope global');
    const ctx = await contextFor(b, { mode: 'static', address: '10.77.0.99/24', gateway: '10.77.0.1', dns: ['10.77.0.1'] });
    const out = await runSteps([factsStep, networkStep], ctx);
    expect(out[1]).toMatchObject({ outcome: 'failed', error: { code: 'BAD_REQUEST' } });
    expect(out[1]!.error!.message).toMatch(/gives the box 10\.77\.0\.99\/24, but Fieldlink reaches it at 10\.77\.0\.13.*nothing was changed.*serial cable/);
    expect(await sshOk(b, 'ls /etc/netplan; ip -4 -o addr show scope global')).toBe(before);
  });
});
