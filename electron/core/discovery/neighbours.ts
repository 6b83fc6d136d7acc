import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { isIP } from 'node:net';

/** One entry of the laptop's neighbour (ARP) table: an address some traffic already resolved. */
export interface Neighbour {
  address: string;
  mac: string;
  iface: string | null;
}

const MAC = /^[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}$/i;
const MAX_NEIGHBOURS = 4096;

/**
 * Linux's /proc/net/arp: "IP address  HW type  Flags  HW address  Mask  Device". Only complete
 * entries (flag 0x2) with a real MAC count; an incomplete one is an address nobody answered for.
 */
export function parseProcArp(text: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [address, , flags, mac, , iface] = line.trim().split(/\s+/);
    if (!address || !mac || !flags || isIP(address) !== 4 || !MAC.test(mac) || mac === '00:00:00:00:00:00') continue;
    if ((Number.parseInt(flags, 16) & 0x2) === 0) continue;
    out.push({ address, mac: mac.toLowerCase(), iface: iface ?? null });
    if (out.length >= MAX_NEIGHBOURS) break;
  }
  return out;
}

/**
 * `arp -a` as macOS ("? (10.0.0.5) at 0:1b:… on en0 ifscope [ethernet]") and Windows
 * ("  10.0.0.5            00-1b-…     dynamic") print it.
 */
export function parseArpA(text: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of text.split(/\r?\n/)) {
    const mac = /\(([\d.]+)\) at ([0-9a-f:]+) on (\S+)/i.exec(line);
    const win = /^\s*([\d.]+)\s+([0-9a-f-]{17})\s+dynamic/i.exec(line);
    const address = mac?.[1] ?? win?.[1];
    let hw = mac?.[2] ?? win?.[2];
    if (!address || !hw || isIP(address) !== 4) continue;
    // macOS drops leading zeros ("0:1b:2:…"): pad each part back to two digits.
    hw = hw
      .split(/[:-]/)
      .map((p) => p.padStart(2, '0'))
      .join(':')
      .toLowerCase();
    if (!MAC.test(hw) || hw === 'ff:ff:ff:ff:ff:ff') continue;
    out.push({ address, mac: hw, iface: mac?.[3] ?? null });
    if (out.length >= MAX_NEIGHBOURS) break;
  }
  return out;
}

/**
 * The neighbour table, read passively: nothing is sent to the LAN. Linux reads a file; macOS and
 * Windows run `arp -a`, which prints the table the OS already has.
 */
export async function readNeighbours(): Promise<Neighbour[]> {
  if (process.platform === 'linux') {
    try {
      return parseProcArp(await fs.promises.readFile('/proc/net/arp', 'utf8'));
    } catch {
      return [];
    }
  }
  return new Promise((resolve) => {
    execFile('arp', ['-a'], { timeout: 5000, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout) => resolve(err ? [] : parseArpA(stdout)));
  });
}
