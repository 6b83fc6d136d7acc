import { stringify } from 'yaml';
import type { BoxFacts } from './steps.ts';
import type { Profile } from './profile.ts';

/*
 * A profile's network as the files of the network manager the box runs: netplan YAML, systemd-networkd
 * .network/.netdev units or NetworkManager keyfiles. Fieldlink owns the folder's configuration for
 * the interface from then on: the files it replaces are kept on the box for a rollback.
 */
export type Manager = Exclude<BoxFacts['networkManager'], 'none'>;
type Configured = Exclude<Profile['network'], { mode: 'keep' }>;

export interface NetworkFiles {
  /** The folder the manager reads. */
  dir: string;
  /** Files of the folder that configure links; they are replaced by `files`. Others (.link) stay. */
  replaces: string;
  files: { name: string; content: string }[];
  /** Makes the manager apply the folder, on the box. */
  apply: string;
  /** The link that carries the address: the interface, or its VLAN. */
  link: string;
}

const HEADER = 'Written by Fieldlink; the files it replaced are in /var/lib/fieldlink/network/previous';

export function networkFiles(manager: Manager, net: Configured, iface: string): NetworkFiles {
  const link = net.vlan ? `${iface}.${net.vlan}` : iface;
  if (manager === 'netplan') return netplanFiles(net, iface, link);
  if (manager === 'systemd-networkd') return networkdFiles(net, iface, link);
  return keyfiles(net, iface, link);
}

function netplanFiles(net: Configured, iface: string, link: string): NetworkFiles {
  const ip =
    net.mode === 'dhcp'
      ? { dhcp4: true }
      : {
          dhcp4: false,
          addresses: [net.address],
          routes: [{ to: 'default', via: net.gateway }],
          nameservers: { addresses: net.dns, ...(net.search?.length ? { search: net.search } : {}) },
        };
  const network = net.vlan
    ? { version: 2, renderer: 'networkd', ethernets: { [iface]: { dhcp4: false } }, vlans: { [link]: { id: net.vlan, link: iface, ...ip } } }
    : { version: 2, renderer: 'networkd', ethernets: { [iface]: ip } };
  return {
    dir: '/etc/netplan',
    replaces: '*.yaml',
    files: [{ name: '60-fieldlink.yaml', content: `# ${HEADER}\n${stringify({ network })}` }],
    apply: 'netplan apply',
    link,
  };
}

function networkdFiles(net: Configured, iface: string, link: string): NetworkFiles {
  const ip =
    net.mode === 'dhcp'
      ? ['DHCP=ipv4']
      : [`Address=${net.address}`, `Gateway=${net.gateway}`, ...net.dns.map((d) => `DNS=${d}`), ...(net.search?.length ? [`Domains=${net.search.join(' ')}`] : [])];
  const unit = (name: string, lines: string[]) => ({
    name,
    content: `# ${HEADER}\n[Match]\nName=${name.replace(/^10-fieldlink-|\.network$/g, '')}\n\n[Network]\n${lines.join('\n')}\n`,
  });
  const files = net.vlan
    ? [
        unit(`10-fieldlink-${iface}.network`, [`VLAN=${link}`, 'LinkLocalAddressing=no']),
        { name: `10-fieldlink-${link}.netdev`, content: `# ${HEADER}\n[NetDev]\nName=${link}\nKind=vlan\n\n[VLAN]\nId=${net.vlan}\n` },
        unit(`10-fieldlink-${link}.network`, ip),
      ]
    : [unit(`10-fieldlink-${iface}.network`, ip)];
  return { dir: '/etc/systemd/network', replaces: '*.network *.netdev', files, apply: `networkctl reload && networkctl reconfigure ${iface}`, link };
}

function keyfiles(net: Configured, iface: string, link: string): NetworkFiles {
  const ipv4 =
    net.mode === 'dhcp'
      ? ['method=auto']
      : ['method=manual', `address1=${net.address}`, `gateway=${net.gateway}`, `dns=${net.dns.join(';')};`, ...(net.search?.length ? [`dns-search=${net.search.join(';')};`] : [])];
  const connection = (name: string, type: string, extra: string[], v4: string[]) => ({
    name: `fieldlink-${name}.nmconnection`,
    content: `# ${HEADER}\n[connection]\nid=fieldlink-${name}\ntype=${type}\ninterface-name=${name}\n${extra.join('\n')}${extra.length ? '\n' : ''}\n[ipv4]\n${v4.join('\n')}\n\n[ipv6]\nmethod=ignore\n`,
  });
  const files = net.vlan
    ? [connection(iface, 'ethernet', [], ['method=disabled']), connection(link, 'vlan', ['', '[vlan]', `parent=${iface}`, `id=${net.vlan}`], ipv4)]
    : [connection(iface, 'ethernet', [], ipv4)];
  return {
    dir: '/etc/NetworkManager/system-connections',
    replaces: '*.nmconnection',
    files,
    apply: `nmcli connection reload && nmcli connection up fieldlink-${iface}${net.vlan ? ` && nmcli connection up fieldlink-${link}` : ''}`,
    link,
  };
}

/** The profile's network in a few words, for drift lines and the step log. */
export function describeNetwork(net: Configured, link: string): string {
  if (net.mode === 'dhcp') return `${link} by DHCP`;
  return `${link} ${net.address} via ${net.gateway}, DNS ${net.dns.join(' ')}`;
}
