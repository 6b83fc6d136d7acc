import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { networkFiles } from './network-files.ts';

const STATIC = { mode: 'static' as const, address: '10.77.0.50/24', gateway: '10.77.0.1', dns: ['10.77.0.1', '10.77.0.2'], search: ['site.local'] };
const NETPLAN_GENERATE = '/usr/lib/netplan/generate';
const LAB_NET = path.resolve(import.meta.dirname, '..', '..', '..', 'lab', 'box', 'files', 'lab-net');

/** What lab-net (the lab boxes' network manager) reads from a folder of systemd-networkd files. */
function readNetworkd(dir: string): unknown {
  const py = `import sys; from importlib.machinery import SourceFileLoader as L; m = L("labnet", sys.argv[1]).load_module(); m.ETC_NETWORKD = sys.argv[2]; m.RUN_NETWORKD = "/nonexistent"; import json; print(json.dumps(m.from_networkd(["eth0"]), sort_keys=True))`;
  return JSON.parse(execFileSync('python3', ['-c', py, LAB_NET, dir], { encoding: 'utf8' }));
}

function writeAll(dir: string, files: { name: string; content: string }[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.content, { mode: 0o600 });
}

describe('network files for each manager', () => {
  it('systemd-networkd: one .network for a plain interface; parent, netdev and VLAN network for a VLAN', () => {
    const plain = networkFiles('systemd-networkd', STATIC, 'eth0');
    expect(plain.files.map((f) => f.name)).toEqual(['10-fieldlink-eth0.network']);
    expect(plain.files[0]!.content).toContain('[Match]\nName=eth0\n\n[Network]\nAddress=10.77.0.50/24\nGateway=10.77.0.1\nDNS=10.77.0.1\nDNS=10.77.0.2\nDomains=site.local\n');
    const vlan = networkFiles('systemd-networkd', { ...STATIC, vlan: 20 }, 'enp1s0');
    expect(vlan.files.map((f) => f.name)).toEqual(['10-fieldlink-enp1s0.network', '10-fieldlink-enp1s0.20.netdev', '10-fieldlink-enp1s0.20.network']);
    expect(vlan.files[0]!.content).toContain('Name=enp1s0\n\n[Network]\nVLAN=enp1s0.20\n');
    expect(vlan.files[1]!.content).toContain('[NetDev]\nName=enp1s0.20\nKind=vlan\n\n[VLAN]\nId=20\n');
    expect(vlan.link).toBe('enp1s0.20');
    expect(networkFiles('systemd-networkd', { mode: 'dhcp' }, 'eth0').files[0]!.content).toContain('[Network]\nDHCP=ipv4\n');
  });

  it('NetworkManager: keyfiles with the address, gateway and DNS lists NM expects; the VLAN names its parent', () => {
    const nm = networkFiles('networkmanager', { ...STATIC, vlan: 7 }, 'eth0');
    expect(nm.files.map((f) => f.name)).toEqual(['fieldlink-eth0.nmconnection', 'fieldlink-eth0.7.nmconnection']);
    expect(nm.files[0]!.content).toContain('type=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=disabled\n');
    expect(nm.files[1]!.content).toContain(
      '[vlan]\nparent=eth0\nid=7\n\n[ipv4]\nmethod=manual\naddress1=10.77.0.50/24\ngateway=10.77.0.1\ndns=10.77.0.1;10.77.0.2;\ndns-search=site.local;\n',
    );
    expect(nm.apply).toBe('nmcli connection reload && nmcli connection up fieldlink-eth0 && nmcli connection up fieldlink-eth0.7');
  });

  it('netplan: one YAML file of netplan version 2 for the networkd renderer', () => {
    const np = networkFiles('netplan', STATIC, 'eth0');
    expect(np.files.map((f) => f.name)).toEqual(['60-fieldlink.yaml']);
    expect(parse(np.files[0]!.content)).toEqual({
      network: {
        version: 2,
        renderer: 'networkd',
        ethernets: {
          eth0: {
            dhcp4: false,
            addresses: ['10.77.0.50/24'],
            routes: [{ to: 'default', via: '10.77.0.1' }],
            nameservers: { addresses: ['10.77.0.1', '10.77.0.2'], search: ['site.local'] },
          },
        },
      },
    });
  });

  // The real netplan (CI installs netplan.io) turns our YAML into systemd-networkd files: they must
  // mean what our own networkd files mean, link for link, as the lab's network manager reads both.
  it.skipIf(!fs.existsSync(NETPLAN_GENERATE))('the real netplan generate reads our YAML as the same network as our networkd files', () => {
    for (const net of [STATIC, { ...STATIC, vlan: 20 }, { mode: 'dhcp' as const }]) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-netplan-'));
      try {
        writeAll(path.join(root, 'etc', 'netplan'), networkFiles('netplan', net, 'eth0').files);
        execFileSync(NETPLAN_GENERATE, ['--root-dir', root], { stdio: 'pipe' });
        writeAll(path.join(root, 'ours'), networkFiles('systemd-networkd', net, 'eth0').files);
        expect(readNetworkd(path.join(root, 'run', 'systemd', 'network'))).toEqual(readNetworkd(path.join(root, 'ours')));
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  });
});
