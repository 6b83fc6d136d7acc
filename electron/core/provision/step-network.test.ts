import { describe, expect, it } from 'vitest';
import type { ExecResult, Shell } from '../transport/index.ts';
import { parseProfile, type BoxFacts, type Profile, type StepContext } from './index.ts';
import { networkFiles } from './network-files.ts';
import { networkStep } from './step-network.ts';
import { sha256Hex } from './steps.ts';

const result = (stdout: string): ExecResult => ({ code: 0, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), truncated: false });

function profileWith(network: string): Profile {
  const r = parseProfile(
    `apiVersion: fieldlink/v1\nkind: Profile\nname: t\nsite: { id: lab }\nhostname: edge\nusers: [{ name: root, keys: [technician] }]\nnetwork: ${network}\nk3s: { role: server, version: v1.30.6+k3s1 }\n`,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.profile;
}

/** A box that answers the network step's read script with what `report` says; every other command is refused. */
function box(kind: 'ssh' | 'serial', report: string, seen: string[] = []): Shell {
  return {
    kind,
    target: 'box',
    exec: async (command) => {
      seen.push(command);
      if (command.includes('SSH_CONNECTION')) return result(report);
      throw new Error('no other command in this test');
    },
    put: () => Promise.reject(new Error('not used')),
    get: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

const facts = (networkManager: BoxFacts['networkManager']) => ({ networkManager }) as BoxFacts;
const ctx = (shell: Shell, network: string, manager: BoxFacts['networkManager'] = 'systemd-networkd'): StepContext => ({
  shell,
  profile: profileWith(network),
  technicianKey: null,
  facts: facts(manager),
});
const STATIC = '{ mode: static, address: 10.77.0.14/24, gateway: 10.77.0.1, dns: [10.77.0.1] }';

describe('the network step check', () => {
  it('keep: done without reading the box', async () => {
    const seen: string[] = [];
    expect(await networkStep.check(ctx(box('ssh', '', seen), '{ mode: keep }'))).toEqual({ done: true });
    expect(seen).toEqual([]);
  });

  it('lists the files, the address and the gateway that differ, and finds a box that matches done', async () => {
    const report = 'reached=10.77.0.14\nroute_if=\ngateway=\naddr=eth0 10.77.0.14/24\nfile=' + '0'.repeat(64) + ' 50-factory.network\n';
    const c = await networkStep.check(ctx(box('ssh', report), STATIC));
    expect(c.done).toBe(false);
    expect(c.drift).toEqual([
      'network files in /etc/systemd/network: 50-factory.network -> 10-fieldlink-eth0.network (eth0 10.77.0.14/24 via 10.77.0.1, DNS 10.77.0.1)',
      'default gateway: none -> 10.77.0.1',
    ]);
    const ours = networkFiles('systemd-networkd', profileWith(STATIC).network as never, 'eth0').files[0]!;
    const matching = `reached=10.77.0.14\nroute_if=eth0\ngateway=10.77.0.1\naddr=eth0 10.77.0.14/24\nfile=${sha256Hex(ours.content)} ${ours.name}\n`;
    expect(await networkStep.check(ctx(box('ssh', matching), STATIC))).toMatchObject({ done: true, drift: [] });
  });

  it('refuses over SSH an address other than the one it reaches the box at, before any change', async () => {
    const report = 'reached=10.77.0.14\naddr=eth0 10.77.0.14/24\n';
    await expect(networkStep.check(ctx(box('ssh', report), STATIC.replace('10.77.0.14/24', '10.77.0.60/24')))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/gives the box 10\.77\.0\.60\/24, but Fieldlink reaches it at 10\.77\.0\.14.*serial cable/),
    });
    // Over the cable the address may move: the check just reports it.
    const c = await networkStep.check(ctx(box('serial', 'reached=\naddr=eth0 10.77.0.14/24\n'), STATIC.replace('10.77.0.14/24', '10.77.0.60/24')));
    expect(c.drift).toContain('eth0: 10.77.0.14/24 -> 10.77.0.60/24');
  });

  it('refuses a box with no known network manager, naming the way out', async () => {
    await expect(networkStep.check(ctx(box('ssh', ''), '{ mode: dhcp }', 'none'))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/none of netplan, NetworkManager or systemd-networkd; nothing was changed.*mode: keep/),
    });
  });
});
