import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Box } from '../../../shared/model.ts';
import { Inventory, openDatabase } from '../db/index.ts';
import { Discovery } from './discovery.ts';
import type { MdnsSighting } from './mdns.ts';
import { SerialWatcher, chipOf, listSerialPorts, type SerialPortInfo } from './serial.ts';

const sighting = (o: Partial<MdnsSighting> & { serial?: string }): MdnsSighting => ({
  instance: `${o.label ?? 'box-01'}._ssh._tcp.local`,
  label: o.label ?? 'box-01',
  service: '_ssh._tcp',
  hostname: o.hostname ?? 'box-01',
  port: 22,
  addresses: o.addresses ?? ['10.77.0.11', 'fe80::1'],
  txt: o.txt ?? { serial: o.serial ?? 'FL1', model: 'EB-200', vendor: 'Fieldlab', arch: 'arm64', state: 'factory' },
});

const cable = (p: string): SerialPortInfo => ({ path: p, device: '/dev/pts/9', chip: 'FTDI', adapterSerial: null, manufacturer: 'FTDI', vendorId: null, productId: null });

describe('discovery merges sightings into one box per device', () => {
  let dir: string;
  let inventory: Inventory;
  let removed: string[];
  let mdns: { onSighting: (s: MdnsSighting) => void; onGone: (i: string) => void };
  let serial: { onPlugged: (p: SerialPortInfo) => void; onUnplugged: (p: SerialPortInfo) => void };
  let banner: string | null;
  let d: Discovery;
  const settle = () => new Promise((r) => setTimeout(r, 10));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-disc-'));
    removed = [];
    inventory = new Inventory(
      openDatabase(path.join(dir, 'db')),
      () => undefined,
      (id) => removed.push(id),
    );
    banner = null;
    d = new Discovery({
      inventory,
      browser: (o) => ((mdns = o), { start: () => undefined, stop: () => undefined, requery: () => undefined }),
      serialWatcher: (o) => ((serial = o), { start: () => undefined, stop: () => undefined }),
      readBanner: async () => ({ hostname: banner }),
      probeKey: async () => 'SHA256:probed',
    });
    d.start();
  });
  afterEach(async () => {
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const only = (): Box => {
    const all = inventory.list();
    expect(all).toHaveLength(1);
    return all[0]!;
  };

  it('an mDNS announcement becomes a box keyed by its serial, state from TXT, no link-local address', async () => {
    mdns.onSighting(sighting({}));
    await settle();
    expect(only()).toMatchObject({ id: 'FL1', hostname: 'box-01', serial: 'FL1', model: 'EB-200', arch: 'arm64', state: 'new', addresses: ['10.77.0.11'], reach: 'lan' });
  });

  it('an address change keeps the box; a goodbye makes it unreachable; a new announcement brings it back', async () => {
    mdns.onSighting(sighting({}));
    await settle();
    mdns.onSighting(sighting({ addresses: ['10.77.0.50'] }));
    await settle();
    expect(only().addresses).toContain('10.77.0.50');
    mdns.onGone('box-01._ssh._tcp.local');
    expect(only().reach).toBe('none');
    await new Promise((r) => setTimeout(r, 5));
    mdns.onSighting(sighting({}));
    await settle();
    expect(only().reach).toBe('lan');
  });

  it('a second host claiming a serial already announced is its own box; both are flagged', async () => {
    mdns.onSighting(sighting({ serial: 'FL1' }));
    await settle();
    mdns.onSighting({ ...sighting({ serial: 'FL1', label: 'clone', hostname: 'clone', addresses: ['10.77.0.99'] }) });
    await settle();
    const all = inventory.list();
    expect(all.map((b) => b.id).sort()).toEqual(['FL1', 'key:SHA256:probed']);
    expect(inventory.get('FL1')!.addresses).toEqual(['10.77.0.11']);
    expect(inventory.get('FL1')!.conflict).toMatch(/also claimed by clone at 10\.77\.0\.99/);
    expect(inventory.get('key:SHA256:probed')!.conflict).toMatch(/Claims serial number FL1/);
    // The same box on a second service (same host) is no conflict.
    mdns.onSighting({ ...sighting({ serial: 'FL1' }), instance: 'box-01._workstation._tcp.local', service: '_workstation._tcp' });
    await settle();
    expect(inventory.list()).toHaveLength(2);
  });

  it('a box with a pinned key is asked who it is, once; a serial that disagrees with its TXT is flagged', async () => {
    const asked: string[] = [];
    await d.stop();
    d = new Discovery({
      inventory,
      browser: (o) => ((mdns = o), { start: () => undefined, stop: () => undefined, requery: () => undefined }),
      serialWatcher: (o) => ((serial = o), { start: () => undefined, stop: () => undefined }),
      identify: async (id) => (
        asked.push(id),
        { serial: 'FL1-REAL', machineId: null, hostname: 'box-01', arch: 'arm64', model: null, vendor: null, addresses: [], k3sVersion: 'v1.30.4+k3s1' }
      ),
    });
    d.start();
    mdns.onSighting(sighting({}));
    await settle();
    expect(asked).toEqual([]); // no pin: never logged in to
    const db = openDatabase(path.join(dir, 'db'));
    db.prepare(
      `INSERT INTO trust_pins (host, port, key_type, fingerprint, box_id, source, pinned_at) VALUES ('10.77.0.11', 22, 'ssh-ed25519', 'SHA256:x', 'FL1', 'serial', '2026-01-01T00:00:00Z')`,
    ).run();
    mdns.onSighting(sighting({ addresses: ['10.77.0.11', '10.77.0.60'] }));
    await settle();
    mdns.onSighting(sighting({ addresses: ['10.77.0.11', '10.77.0.61'] }));
    await settle();
    expect(asked).toEqual(['FL1']);
    expect(only()).toMatchObject({ k3sVersion: 'v1.30.4+k3s1', conflict: expect.stringMatching(/itself reports FL1-REAL/) });
  });

  it('a box known by its host key that reports a machine-id already known (over its cable) becomes that box', async () => {
    await d.stop();
    d = new Discovery({
      inventory,
      browser: (o) => ((mdns = o), { start: () => undefined, stop: () => undefined, requery: () => undefined }),
      serialWatcher: (o) => ((serial = o), { start: () => undefined, stop: () => undefined }),
      probeKey: async () => 'SHA256:probed',
      identify: async () => ({ serial: null, machineId: 'ab'.repeat(16), hostname: 'box-01', arch: 'arm64', model: null, vendor: null, addresses: [], k3sVersion: null }),
    });
    d.start();
    inventory.recordSighting({ boxId: `mid:${'ab'.repeat(16)}`, source: 'serial', address: '/dev/ttyUSB3', hostname: 'box-01' });
    const db = openDatabase(path.join(dir, 'db'));
    db.prepare(
      `INSERT INTO trust_pins (host, port, key_type, fingerprint, box_id, source, pinned_at) VALUES ('10.77.0.11', 22, 'ssh-ed25519', 'SHA256:x', 'key:SHA256:probed', 'first-use', '2026-01-01T00:00:00Z')`,
    ).run();
    mdns.onSighting(sighting({ txt: { model: 'x' } }));
    await settle();
    await settle();
    expect(only()).toMatchObject({ id: `mid:${'ab'.repeat(16)}`, consolePath: '/dev/ttyUSB3', addresses: ['10.77.0.11'], reach: 'both' });
    expect(removed).toContain('key:SHA256:probed');
  });

  it('a box that announces no serial is known by the host key it offers (probed without login)', async () => {
    mdns.onSighting(sighting({ txt: { model: 'x' } }));
    await settle();
    expect(only().id).toBe('key:SHA256:probed');
  });

  it("a cable whose prompt shows a known box's name is named so, not merged: any console can print any name", async () => {
    mdns.onSighting(sighting({}));
    await settle();
    banner = 'box-01';
    serial.onPlugged(cable('/dev/serial/by-id/usb-FTDI_X-if00-port0'));
    await settle();
    expect(inventory.get('FL1')).toMatchObject({ reach: 'lan', consolePath: null });
    expect(inventory.get('cable:/dev/serial/by-id/usb-FTDI_X-if00-port0')).toMatchObject({ hostname: 'box-01', reach: 'cable' });
    serial.onUnplugged(cable('/dev/serial/by-id/usb-FTDI_X-if00-port0'));
    expect(inventory.get('cable:/dev/serial/by-id/usb-FTDI_X-if00-port0')!.reach).toBe('none');
  });

  it('a cable on the port a login identified joins that box (reach both); pulling it leaves LAN only', async () => {
    mdns.onSighting(sighting({}));
    await settle();
    inventory.recordSighting({ boxId: 'FL1', source: 'serial', address: '/dev/serial/by-id/usb-FTDI_X-if00-port0', serial: 'FL1' });
    serial.onPlugged(cable('/dev/serial/by-id/usb-FTDI_X-if00-port0'));
    await settle();
    expect(only()).toMatchObject({ id: 'FL1', consolePath: '/dev/serial/by-id/usb-FTDI_X-if00-port0', reach: 'both' });
    serial.onUnplugged(cable('/dev/serial/by-id/usb-FTDI_X-if00-port0'));
    expect(only().reach).toBe('lan');
  });

  it('a cable to an unknown box is a cable-only box until a login identifies it; then it merges away', async () => {
    banner = 'localhost';
    serial.onPlugged(cable('/dev/ttyUSB0'));
    await settle();
    expect(only()).toMatchObject({ id: 'cable:/dev/ttyUSB0', hostname: 'localhost', reach: 'cable' });
    inventory.recordSighting({ boxId: 'FL9', source: 'serial', address: '/dev/ttyUSB0', serial: 'FL9', hostname: 'box-09' });
    expect(only()).toMatchObject({ id: 'FL9', consolePath: '/dev/ttyUSB0' });
    expect(removed).toEqual(['cable:/dev/ttyUSB0']);
  });

  it('two boxes with one hostname are not guessed between: the cable stays its own box', async () => {
    mdns.onSighting(sighting({ serial: 'A', label: 'a' }));
    mdns.onSighting(sighting({ serial: 'B', label: 'b', addresses: ['10.77.0.12'] }));
    await settle();
    banner = 'box-01';
    serial.onPlugged(cable('/dev/ttyUSB1'));
    await settle();
    expect(
      inventory
        .list()
        .map((b) => b.id)
        .sort(),
    ).toEqual(['A', 'B', 'cable:/dev/ttyUSB1']);
  });
});

describe('serial ports', () => {
  it('names the usual USB-serial chips by vendor id or by-id name', () => {
    expect(chipOf({ vendorId: '0403' })).toBe('FTDI');
    expect(chipOf({ vendorId: '10C4' })).toBe('CP210x');
    expect(chipOf({ name: 'usb-1a86_USB_Serial-if00-port0' })).toBe('CH340');
    expect(chipOf({ name: 'usb-Prolific_Technology_Inc._USB-Serial_Controller_D-if00-port0' })).toBe('PL2303');
    expect(chipOf({ name: 'usb-Mystery-if00' })).toBeNull();
  });

  it('lists by-id links with the adapter serial, and bare ttyUSB nodes no link names; a dangling link is skipped', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-ports-'));
    const byId = path.join(root, 'by-id');
    const dev = path.join(root, 'dev');
    fs.mkdirSync(byId);
    fs.mkdirSync(dev);
    fs.writeFileSync(path.join(dev, 'ttyUSB0'), '');
    fs.writeFileSync(path.join(dev, 'ttyUSB1'), '');
    fs.symlinkSync(path.join(dev, 'ttyUSB0'), path.join(byId, 'usb-FTDI_FT232R_USB_UART_A10K3XYZ-if00-port0'));
    fs.symlinkSync(path.join(dev, 'gone'), path.join(byId, 'usb-FTDI_FT232R_USB_UART_DANGLING-if00-port0'));
    try {
      const ports = listSerialPorts({ byIdDirs: [byId], devDir: dev });
      expect(ports.map((p) => [path.basename(p.path), p.chip, p.adapterSerial])).toEqual([
        ['usb-FTDI_FT232R_USB_UART_A10K3XYZ-if00-port0', 'FTDI', 'A10K3XYZ'],
        ['ttyUSB1', null, null],
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('the watcher reports a cable plugged and pulled; a link re-made for a moment is the same cable', () => {
    let now: SerialPortInfo[] = [];
    const events: string[] = [];
    const w = new SerialWatcher({ list: () => now, onPlugged: (p) => events.push(`+${p.path}`), onUnplugged: (p) => events.push(`-${p.path}`), pollMs: 60_000 });
    w.scan(0);
    now = [{ ...cable('/dev/serial/by-id/a'), device: '/dev/ttyUSB0' }];
    w.scan(100);
    now = [];
    w.scan(200);
    now = [{ ...cable('/dev/serial/by-id/a'), device: '/dev/ttyUSB1' }];
    w.scan(400);
    expect(events).toEqual(['+/dev/serial/by-id/a']);
    now = [];
    w.scan(500);
    w.scan(900);
    expect(events).toEqual(['+/dev/serial/by-id/a']);
    w.scan(1300);
    expect(events).toEqual(['+/dev/serial/by-id/a', '-/dev/serial/by-id/a']);
  });
});

describe('a cable names its box from what the console shows', () => {
  it('reads agetty prompts and shells left logged in; nothing else counts', async () => {
    const { promptHost } = await import('./serial.ts');
    expect(promptHost('\r\nUbuntu 24.04 LTS\r\n\r\nedge-03 login: ')).toBe('edge-03');
    expect(promptHost('\r\nroot@edge-01:~# ')).toBe('edge-01');
    expect(promptHost('[root@box-7 ~]# ')).toBe('box-7');
    expect(promptHost('fieldlink# ')).toBeNull();
    expect(promptHost('<script>@x login: ')).toBeNull();
    expect(promptHost('[  12.3] eth0: link up\r\n')).toBeNull();
  });
});

describe('the neighbour table', () => {
  it('reads complete entries of /proc/net/arp and of arp -a on macOS and Windows', async () => {
    const { parseProcArp, parseArpA } = await import('./neighbours.ts');
    const proc = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '10.77.0.11       0x1         0x2         02:f1:4b:00:00:01     *        eth0',
      '10.77.0.99       0x1         0x0         00:00:00:00:00:00     *        eth0',
      '<b>x</b>         0x1         0x2         02:f1:4b:00:00:02     *        eth0',
    ].join('\n');
    expect(parseProcArp(proc)).toEqual([{ address: '10.77.0.11', mac: '02:f1:4b:00:00:01', iface: 'eth0' }]);
    expect(parseArpA('? (10.77.0.12) at 2:f1:4b:0:0:2 on en0 ifscope [ethernet]\n? (10.77.0.255) at ff:ff:ff:ff:ff:ff on en0')).toEqual([
      { address: '10.77.0.12', mac: '02:f1:4b:00:00:02', iface: 'en0' },
    ]);
    expect(parseArpA('  10.77.0.13            02-f1-4b-00-00-03     dynamic\r\n  224.0.0.22  01-00-5e-00-00-16  static')).toEqual([
      { address: '10.77.0.13', mac: '02:f1:4b:00:00:03', iface: null },
    ]);
  });
});
