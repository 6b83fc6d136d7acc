import { FieldlinkError } from '../../../shared/errors.ts';

/**
 * What the technician types into "Add by address", checked before anything is sent. (The subnet for
 * "Scan subnet" is checked by the core's one CIDR rule, discovery.checkSweep: no copy here.)
 * A box address: IPv4, IPv6 or a hostname, optionally with :port (IPv6 with a port in brackets).
 */
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
