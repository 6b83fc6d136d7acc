import { FieldlinkError } from '../../../shared/errors.ts';

/**
 * What the technician types into "Scan subnet" and "Add by address", checked before anything is
 * sent. A sweep is active traffic on someone else's network, so it is kept to one /16 at most.
 */
export function parseCidr(text: string): { network: string; prefix: number; hosts: number } {
  const m = /^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})\s*$/.exec(text);
  if (!m) throw new FieldlinkError('BAD_REQUEST', 'Type the subnet like 192.168.1.0/24.');
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw new FieldlinkError('BAD_REQUEST', 'Each part of the address is a number from 0 to 255.');
  if (prefix < 16 || prefix > 32) throw new FieldlinkError('BAD_REQUEST', 'Scan at most a /16 (65,536 addresses); a site LAN is usually a /24.');
  const ip = octets.reduce((a, o) => (a << 8) | o, 0) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (ip & mask) >>> 0;
  return { network: [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.'), prefix, hosts: prefix >= 31 ? 2 ** (32 - prefix) : 2 ** (32 - prefix) - 2 };
}

/** A box address: IPv4, IPv6 or a hostname, optionally with :port (IPv6 with a port in brackets). */
export function parseAddress(text: string): { host: string; port: number } {
  const s = text.trim();
  if (!s) throw new FieldlinkError('BAD_REQUEST', 'Type the box address, like 192.168.1.20 or box-07.local.');
  if (s.length > 255) throw new FieldlinkError('BAD_REQUEST', 'That address is too long.');
  let host = s;
  let port = 22;
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  const hostPort = /^([^:\s]+):(\d+)$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (hostPort) {
    host = hostPort[1]!;
    port = Number(hostPort[2]);
  } else if (s.includes(':') && !/^[0-9a-fA-F:.]+$/.test(s)) {
    throw new FieldlinkError('BAD_REQUEST', 'That is not an address. Type an IP address or a host name.');
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FieldlinkError('BAD_REQUEST', 'The port is a number from 1 to 65535.');
  if (!host.includes(':') && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new FieldlinkError('BAD_REQUEST', 'A host name has only letters, digits, dots and dashes.');
  }
  return { host, port };
}
