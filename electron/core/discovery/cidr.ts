import { FieldlinkError } from '../../../shared/errors.ts';

/**
 * The one rule for what a subnet sweep may touch. A sweep is active traffic on someone else's
 * network, so it is kept to a /16 unless the technician forces it (and never beyond a /8), and it
 * never knocks on ranges that are not hosts: "this network" (0/8), multicast (224/4), reserved and
 * limited broadcast (240/4). Loopback (127/8) is allowed: it is where tests sweep. Every front door
 * (CLI, UI, the call itself) asks this, none keeps its own copy.
 */
export interface SweepRange {
  /** Normalised: the network address and prefix, e.g. 10.77.0.0/24. */
  cidr: string;
  network: string;
  prefix: number;
  /** Addresses that will be tried: the network and broadcast addresses are skipped (except /31, /32). */
  count: number;
  first: string;
  last: string;
  /** The typed address had host bits set (10.77.0.5/24): the sweep covers the whole network. */
  normalised: boolean;
  /** Larger than a /16: allowed only with force. */
  forced: boolean;
}

/** Above this many prefix bits a sweep needs no force; below MIN_FORCED it is never allowed. */
export const MAX_UNFORCED = 16;
export const MIN_FORCED = 8;

const REFUSED: Array<{ net: number; prefix: number; why: string }> = [
  { net: 0x00000000, prefix: 8, why: '0.0.0.0/8 means "this network" and holds no boxes' },
  { net: 0xe0000000, prefix: 4, why: '224.0.0.0/4 is multicast, not hosts' },
  { net: 0xf0000000, prefix: 4, why: '240.0.0.0/4 is reserved (and holds the broadcast address 255.255.255.255)' },
];

export function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    // No leading zeros: 010 would be octal to some tools and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Parses and checks what the technician typed; throws BAD_REQUEST with a sentence that says what to type instead. */
export function checkSweepRange(text: string, opts: { force?: boolean } = {}): SweepRange {
  const s = typeof text === 'string' ? text.trim() : '';
  if (s.length > 64) throw new FieldlinkError('BAD_REQUEST', 'That is not a subnet. Type it like 192.168.1.0/24.');
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s);
  if (!m)
    throw new FieldlinkError(
      'BAD_REQUEST',
      s.includes(':') ? 'Only IPv4 subnets can be scanned. Type it like 192.168.1.0/24.' : 'Type the subnet like 192.168.1.0/24 (an address, a slash and the prefix length).',
    );
  const ip = ipToInt(m[1]!);
  if (ip === null) throw new FieldlinkError('BAD_REQUEST', `${m[1]} is not an IPv4 address: four numbers from 0 to 255, like 192.168.1.0.`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new FieldlinkError('BAD_REQUEST', 'The prefix length after the slash is a number from 0 to 32 (a site LAN is usually /24).');
  const net = (ip & maskOf(prefix)) >>> 0;
  const size = 2 ** (32 - prefix);
  if (prefix < MIN_FORCED) {
    throw new FieldlinkError(
      'BAD_REQUEST',
      `A /${prefix} is ${size.toLocaleString('en-US')} addresses: Fieldlink never scans more than a /${MIN_FORCED}. Scan the site LAN, usually a /24.`,
      { prefix, addresses: size },
    );
  }
  if (prefix < MAX_UNFORCED && !opts.force) {
    throw new FieldlinkError(
      'BAD_REQUEST',
      `A /${prefix} is ${size.toLocaleString('en-US')} addresses, more than the /${MAX_UNFORCED} (65,536) Fieldlink scans on its own. Scan the site LAN (usually a /24), or force it (--force) if you were asked to sweep all of it.`,
      { prefix, addresses: size, needsForce: true },
    );
  }
  for (const r of REFUSED) {
    if ((net & maskOf(r.prefix)) >>> 0 === r.net) throw new FieldlinkError('BAD_REQUEST', `Fieldlink does not scan ${intToIp(net)}/${prefix}: ${r.why}.`);
  }
  const [first, last] = prefix >= 31 ? [net, net + size - 1] : [net + 1, net + size - 2];
  return {
    cidr: `${intToIp(net)}/${prefix}`,
    network: intToIp(net),
    prefix,
    count: last - first + 1,
    first: intToIp(first),
    last: intToIp(last),
    normalised: net !== ip,
    forced: prefix < MAX_UNFORCED,
  };
}

/** The addresses a sweep tries, in order, lazily (a forced /8 is 16 million of them). */
export function* sweepAddresses(r: Pick<SweepRange, 'first' | 'last'>): Generator<string> {
  const last = ipToInt(r.last)!;
  for (let n = ipToInt(r.first)!; n <= last; n++) yield intToIp(n);
}
