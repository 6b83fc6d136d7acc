import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MdnsBrowser, type MdnsSighting } from '../../electron/core/discovery/index.ts';
import { labStatus } from './helpers.ts';

/**
 * The browser on the technician's real interfaces in fl-tech, against the lab boxes' real avahi,
 * with a second avahi-daemon running beside it in fl-tech, as on a Linux laptop: both share 5353.
 */
describe('mDNS discovery from the technician namespace', () => {
  let avahi: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-avahi-'));
    const conf = path.join(dir, 'avahi-daemon.conf');
    fs.writeFileSync(conf, '[server]\nuse-ipv4=yes\nuse-ipv6=no\nenable-dbus=no\nallow-interfaces=eth0\n[publish]\npublish-workstation=no\n');
    // A private /run/avahi-daemon, so its pid file never lands in this machine's own /run.
    avahi = spawn('unshare', ['-m', 'sh', '-c', `mkdir -p ${dir}/run && mount --bind ${dir}/run /run && mkdir -p /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot -f ${conf}`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 800));
  });

  afterAll(() => {
    if (avahi?.pid && avahi.exitCode === null) avahi.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

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
    // The figure: the last box within 0.5 s of the first query (which goes out at 20-120 ms).
    process.stdout.write(`mdns: ${want.length} boxes, first at ${times[0]?.toFixed(0)} ms, last at ${times.at(-1)?.toFixed(0)} ms\n`);
    expect(times.at(-1)! - times[0]!).toBeLessThan(500);
  });
});
