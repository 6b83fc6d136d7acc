import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MdnsBrowser, type MdnsSighting } from '../../electron/core/discovery/index.ts';
import { labStatus, REPO } from './helpers.ts';

/**
 * The browser on the technician's real interfaces in fl-tech, against the lab boxes' real avahi,
 * with a second avahi-daemon running beside it in fl-tech, as on a Linux laptop: both share 5353.
 */
/**
 * avahi-daemon in fl-tech, as on a Linux laptop, in a mount namespace of its own: its pid file and
 * service folder never touch this machine's /run or /etc. `services` are avahi service files to publish.
 */
function startAvahi(services: Record<string, string> = {}, server = 'use-ipv4=yes\nuse-ipv6=no'): { proc: ChildProcess; stop: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-avahi-'));
  const conf = path.join(dir, 'avahi-daemon.conf');
  fs.writeFileSync(conf, `[server]\n${server}\nenable-dbus=no\nallow-interfaces=eth0\n[publish]\npublish-workstation=no\npublish-aaaa-on-ipv4=no\n`);
  fs.mkdirSync(path.join(dir, 'services'));
  for (const [name, xml] of Object.entries(services)) fs.writeFileSync(path.join(dir, 'services', `${name}.service`), xml);
  const script = `mkdir -p ${dir}/run && mount --bind ${dir}/run /run && mount --bind ${dir}/services /etc/avahi/services && mkdir -p /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot -f ${conf}`;
  const proc = spawn('unshare', ['-m', 'sh', '-c', script], { stdio: 'ignore' });
  return {
    proc,
    stop: () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('mDNS discovery from the technician namespace', () => {
  let avahi: ChildProcess | undefined;
  let stop = () => undefined as void;

  beforeAll(async () => {
    ({ proc: avahi, stop } = startAvahi());
    await new Promise((r) => setTimeout(r, 800));
  });

  afterAll(() => stop());

  it('finds every powered box with its serial, hostname and address while avahi runs beside it', async () => {
    const s = await labStatus();
    expect(avahi?.exitCode, 'avahi-daemon beside the browser should keep running').toBeNull();
    expect(execFileSync('ss', ['-ulpn', 'sport = :5353'], { encoding: 'utf8' }), 'avahi-daemon holds port 5353 in fl-tech').toMatch(/avahi-daemon/);
    const want = s.boxes.filter((b) => b.power === 'on');
    const seen = new Map<string, MdnsSighting>();
    const times: number[] = [];
    const started = performance.now();
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    const b = new MdnsBrowser({
      services: ['_ssh._tcp.local'],
      onSighting: (x) => {
        if (x.txt.serial && !seen.has(x.txt.serial) && x.addresses.length) times.push(performance.now() - started);
        seen.set(x.txt.serial ?? x.instance, x);
        if (want.every((w) => seen.get(w.serial)?.addresses.length)) done();
      },
      onGone: () => undefined,
    });
    b.start();
    await Promise.race([all, new Promise((r) => setTimeout(r, 5000))]);
    b.stop();
    for (const w of want) {
      const x = seen.get(w.serial);
      expect(x, `${w.name} (${w.serial}) was not found`).toBeDefined();
      expect(x!.addresses).toContain(w.ip);
      expect(x!.txt).toMatchObject({ serial: w.serial, arch: w.arch, state: w.state });
      expect(x!.port).toBe(22);
    }
    // The issue's figure (the last box within 0.5 s of the first) is `npm run bench -- discovery`'s,
    // measured on a quiet lab; here, beside the rest of the suite, it is printed. What this test holds
    // is that every box answers the first query or its 1 s repeat, not a later round.
    process.stdout.write(`mdns: ${want.length} boxes, first at ${times[0]?.toFixed(0)} ms, last at ${times.at(-1)?.toFixed(0)} ms\n`);
    expect(times.at(-1)! - times[0]!).toBeLessThan(2500);
  });

  it('fieldlink discover --json lists every box with its serial, state and address; boxes then lists them too', async () => {
    const s = await labStatus();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-discover-'));
    try {
      const cli = (...args: string[]) =>
        execFileSync(path.join(REPO, 'node_modules', '.bin', 'node'), [path.join(REPO, 'bin', 'fieldlink.js'), '--data-dir', dataDir, ...args], {
          encoding: 'utf8',
          timeout: 30_000,
        });
      const found = JSON.parse(cli('discover', '--json', '--timeout', '2s')) as Array<{ serial: string; addresses: string[]; state: string; reach: string; hostname: string }>;
      for (const w of s.boxes.filter((b) => b.power === 'on')) {
        const b = found.find((x) => x.serial === w.serial);
        expect(b, `${w.name} (${w.serial}) missing from discover --json`).toBeDefined();
        expect(b!.addresses[0]).toBe(w.ip);
        expect(
          b!.addresses.some((a) => a.startsWith('fe80:')),
          'a link-local IPv6 address heard over IPv4 has no interface to dial it by; not listed',
        ).toBe(false);
        expect(b!.state).toBe(w.state === 'factory' ? 'new' : 'provisioned');
        expect(b!.reach).toBe('lan');
      }
      expect(cli('boxes')).toMatch(new RegExp(s.boxes[0]!.serial));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a second box claiming a serial number already on the LAN', () => {
  it('is kept apart and both are flagged, never merged', async () => {
    const s = await labStatus();
    const real = s.boxes[0]!;
    // A rogue announcement from the laptop's namespace: box-01's serial number on another host.
    const rogue = startAvahi({
      rogue: `<?xml version="1.0" standalone='no'?><service-group><name>rogue-${real.serial}</name><service><type>_ssh._tcp</type><port>22</port><txt-record>serial=${real.serial}</txt-record><txt-record>model=&lt;b&gt;EB-200&lt;/b&gt;</txt-record><txt-record>state=factory</txt-record></service></service-group>`,
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-conflict-'));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const out = execFileSync(
        path.join(REPO, 'node_modules', '.bin', 'node'),
        [path.join(REPO, 'bin', 'fieldlink.js'), '--data-dir', dataDir, 'discover', '--json', '--timeout', '3s'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      const found = JSON.parse(out) as Array<{ id: string; serial: string; addresses: string[]; conflict: string | null; model: string | null }>;
      const claimants = found.filter((b) => b.serial === real.serial);
      expect(claimants.map((b) => b.addresses[0]).sort(), 'both claimants listed, apart').toEqual(['10.77.0.2', real.ip].sort());
      for (const b of claimants) expect(b.conflict, `${b.id} flagged`).toMatch(new RegExp(`serial number ${real.serial}`, 'i'));
      // Box-supplied text stays text: the TXT model's markup arrives as characters.
      expect(claimants.find((b) => b.addresses[0] === '10.77.0.2')!.model).toBe('<b>EB-200</b>');
    } finally {
      rogue.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('mDNS over IPv6', () => {
  it('a box that answers only over IPv6 is found, its link-local address with the interface to dial it by', async () => {
    const v6 = startAvahi(
      {
        v6: `<?xml version="1.0" standalone='no'?><service-group><name>v6-only</name><service><type>_ssh._tcp</type><port>22</port><txt-record>serial=FLV6ONLY</txt-record></service></service-group>`,
      },
      'use-ipv4=no\nuse-ipv6=yes',
    );
    const seen: MdnsSighting[] = [];
    const b = new MdnsBrowser({ services: ['_ssh._tcp.local'], onSighting: (x) => seen.push(x), onGone: () => undefined });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      b.start();
      await expect.poll(() => seen.find((x) => x.txt.serial === 'FLV6ONLY')?.addresses ?? [], { timeout: 5000 }).toEqual([expect.stringMatching(/^fe80:[0-9a-f:]+%eth0$/)]);
    } finally {
      b.stop();
      v6.stop();
    }
  });
});
