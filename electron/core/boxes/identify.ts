import type { Shell } from '../transport/index.ts';
import { FieldlinkError } from '../../../shared/errors.ts';

/** What a box says about itself when asked over any Shell. Every field is untrusted box text. */
export interface BoxFacts {
  serial: string | null;
  machineId: string | null;
  hostname: string;
  arch: string | null;
  model: string | null;
  vendor: string | null;
  /** IPv4 addresses on its non-loopback interfaces. */
  addresses: string[];
  k3sVersion: string | null;
}

// One line per fact, tagged, so console noise or a chatty login script cannot be mistaken for one.
const SCRIPT = [
  'echo "FLID serial=$(dmidecode -s system-serial-number 2>/dev/null | head -n1)"',
  'echo "FLID machine-id=$(head -c 64 /etc/machine-id 2>/dev/null)"',
  'echo "FLID hostname=$(hostname 2>/dev/null || cat /etc/hostname)"',
  'echo "FLID arch=$(uname -m)"',
  'echo "FLID model=$(dmidecode -s system-product-name 2>/dev/null | head -n1)"',
  'echo "FLID vendor=$(dmidecode -s system-manufacturer 2>/dev/null | head -n1)"',
  'for a in $(ip -4 -o addr show scope global 2>/dev/null | awk \'{print $4}\'); do echo "FLID addr=${a%/*}"; done',
  'echo "FLID k3s=$(k3s --version 2>/dev/null | head -n1)"',
].join('; ');

const SAFE = /^[\w .:+@/-]{1,128}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** Asks a box who it is: serial number (DMI), machine-id, hostname, arch, addresses, k3s version. */
export async function identifyBox(shell: Shell, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<BoxFacts> {
  const r = await shell.exec(SCRIPT, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 20_000, maxOutputBytes: 64 * 1024 });
  return parseBoxFacts(Buffer.from(r.stdout).toString('utf8'), shell.target);
}

export function parseBoxFacts(text: string, target = 'the box'): BoxFacts {
  const facts: BoxFacts = { serial: null, machineId: null, hostname: '', arch: null, model: null, vendor: null, addresses: [], k3sVersion: null };
  for (const raw of text.split(/\r?\n/)) {
    const m = /^FLID ([a-z0-9-]+)=(.*)$/.exec(raw.trim());
    if (!m) continue;
    const value = m[2]!.trim();
    if (m[1] === 'k3s') {
      // `k3s --version` prints "k3s version v1.30.4+k3s1 (sha)"; only the version itself is kept.
      facts.k3sVersion = /\bv\d+\.\d+\.\d+[\w.+-]*/.exec(value)?.[0] ?? facts.k3sVersion;
      continue;
    }
    if (!value || !SAFE.test(value)) continue;
    switch (m[1]) {
      case 'serial':
        // Firmware placeholders are not identities.
        if (!/^(to be filled|default string|none|0+|not specified|system serial number)/i.test(value)) facts.serial = value;
        break;
      case 'machine-id':
        if (/^[0-9a-f]{32}$/.test(value)) facts.machineId = value;
        break;
      case 'hostname':
        facts.hostname = value;
        break;
      case 'arch':
        facts.arch = ({ x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm' } as Record<string, string>)[value] ?? value;
        break;
      case 'model':
        facts.model = value;
        break;
      case 'vendor':
        facts.vendor = value;
        break;
      case 'addr':
        if (IPV4.test(value) && facts.addresses.length < 16) facts.addresses.push(value);
        break;
    }
  }
  if (!facts.hostname && !facts.serial && !facts.machineId)
    throw new FieldlinkError('PROTOCOL', `${target} did not say who it is (no hostname, serial number or machine-id in its answer).`);
  return facts;
}

/** The stable id of DESIGN.md: serial number, else machine-id, else the host-key fingerprint. */
export function boxIdOf(facts: BoxFacts, hostKeyFingerprint?: string): string {
  if (facts.serial) return facts.serial;
  if (facts.machineId) return `mid:${facts.machineId}`;
  if (hostKeyFingerprint) return `key:${hostKeyFingerprint}`;
  throw new FieldlinkError('PROTOCOL', 'The box gave no serial number, machine-id or host key to know it by.');
}
