import crypto from 'node:crypto';
import { boxIp, boxName, DEFAULT_BAUD, NS } from '../config.ts';
import { boxMac } from '../net/topology.ts';
import type { BoxRecord } from '../state.ts';

/** A mixed fleet, like a real site that bought hardware over several years. */
const HARDWARE = [
  { vendor: 'Fieldlab Systems', model: 'EB-200', arch: 'amd64' },
  { vendor: 'Fieldlab Systems', model: 'EB-310A', arch: 'arm64' },
  { vendor: 'Northgate Industrial', model: 'NG-Edge 4', arch: 'amd64' },
] as const;

// No 0/O or 1/I/L: the password is read off a label in bad light.
const LABEL_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function pick(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[crypto.randomInt(alphabet.length)];
  return s;
}

/** Edge boxes ship with one of these; box-03, -06, … netplan, box-04 systemd-networkd, box-05 NetworkManager. */
export const NETWORK_FLAVOURS = ['netplan', 'systemd-networkd', 'networkmanager'] as const;

export function makeBox(index: number, opts: { baud?: number; provisioned: boolean }): BoxRecord {
  const hw = HARDWARE[(index - 1) % HARDWARE.length]!;
  const year = 24 + (index % 3);
  return {
    name: boxName(index),
    index,
    ns: NS.box(index),
    serial: `FL${year}${hw.arch === 'arm64' ? 'A' : 'X'}${pick('0123456789ABCDEFGHJKLMNPRSTUVWXYZ', 6)}`,
    model: hw.model,
    vendor: hw.vendor,
    arch: hw.arch,
    ip: boxIp(index),
    mac: boxMac(index),
    password: `${pick(LABEL_ALPHABET, 4)}-${pick(LABEL_ALPHABET, 4)}-${pick(LABEL_ALPHABET, 4)}`,
    machineId: crypto.randomBytes(16).toString('hex'),
    baud: opts.baud ?? DEFAULT_BAUD,
    network: NETWORK_FLAVOURS[index % NETWORK_FLAVOURS.length]!,
    provisionedAtUp: opts.provisioned,
  };
}
