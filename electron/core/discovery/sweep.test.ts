import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../events/index.ts';
import { Inventory, TrustStore, openDatabase } from '../db/index.ts';
import { JobRegistry } from '../jobs/index.ts';
import { checkSweepRange } from './cidr.ts';
import { keyBoxId, recordSwept } from './merge.ts';
import { sweep, MAX_BANNER_BYTES, type SweptHost } from './sweep.ts';
import { Sweeper } from './sweeper.ts';

// Only loopback: these tests never send anything anywhere else.
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(onConn: (s: net.Socket) => void, host = '127.0.0.1', port = 0): Promise<number> {
  const srv = net.createServer(onConn);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(port, host, r));
  return (srv.address() as net.AddressInfo).port;
}

const KEY_A = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
const KEY_B = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' };

describe('subnet sweep (loopback only)', () => {
  it('finds the open port, reads a bounded first line and asks the probe for keys', async () => {
    const say = (s: net.Socket) => s.end(`SSH-2.0-Fake_${'x'.repeat(400)}\r\nmore\r\n`);
    const port = await listen(say);
    await listen(say, '127.0.0.5', port);
    const probed: string[] = [];
    const scan = await sweep(checkSweepRange('127.0.0.0/29'), {
      ports: [port],
      timeoutMs: 300,
      probe: async (host) => (probed.push(host), [KEY_A]),
    });
    // Listening on two of the six addresses: the others refuse at once.
    expect(scan.hosts.map((h) => h.address)).toEqual(['127.0.0.1', '127.0.0.5']);
    expect(scan.hosts[0]!.banner!.startsWith('SSH-2.0-Fake_')).toBe(true);
    expect(scan.hosts[0]!.banner!.length).toBeLessThanOrEqual(MAX_BANNER_BYTES);
    expect(scan.hosts[0]!.hostKeys).toEqual([KEY_A]);
    expect(probed.sort()).toEqual(['127.0.0.1', '127.0.0.5']);
  });

  it('keeps a banner as plain text: terminal escapes and control characters go', async () => {
    const port = await listen((s) => s.end('SSH-2.0-\x1b[31mEvil\x1b]0;title\x07\x00Box\r\n'));
    const scan = await sweep(checkSweepRange('127.0.0.1/32'), { ports: [port], timeoutMs: 300, probe: async () => [KEY_A] });
    expect(scan.hosts[0]!.banner).toMatch(/^SSH-2\.0-Evil\s?Box$/);
  });

  it('does not probe a port that does not speak SSH, and counts closed ports as silent', async () => {
    const port = await listen((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const scan = await sweep(checkSweepRange('127.0.0.1/32'), { ports: [port, 1], timeoutMs: 300, probe: async () => [KEY_A] });
    expect(scan.hosts).toEqual([{ address: '127.0.0.1', open: [port], banner: 'HTTP/1.1 400 Bad Request', hostKeys: [], probeError: `port ${port} does not speak SSH` }]);
  });

  it('stops within a second when cancelled, closing every socket', async () => {
    // A server that accepts and never speaks: each address holds the banner wait.
    const port = await listen(() => undefined);
    const abort = new AbortController();
    const started = performance.now();
    const p = sweep(checkSweepRange('127.0.0.0/20'), {
      ports: [port],
      timeoutMs: 5000,
      bannerTimeoutMs: 5000,
      ratePerSecond: 200,
      signal: abort.signal,
      probe: async () => [KEY_A],
    });
    setTimeout(() => abort.abort(), 200);
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - started).toBeLessThan(1200);
  });
});

describe('swept hosts become boxes', () => {
  const setup = () => {
    const db = openDatabase(':memory:');
    return { inventory: new Inventory(db), trust: new TrustStore(db) };
  };
  const host = (address: string, keys = [KEY_A]): SweptHost => ({ address, open: [22], banner: 'SSH-2.0-OpenSSH_9.2', hostKeys: keys, probeError: null });

  it('an unknown box is known by its host key; swept again it is the same box', () => {
    const d = setup();
    const a = recordSwept(d, host('10.77.0.11'));
    expect(a).toMatchObject({ kind: 'box', matched: 'new', box: { id: `key:${KEY_A.fingerprint}`, addresses: ['10.77.0.11'] } });
    // It moved: the key finds it.
    expect(recordSwept(d, host('10.77.0.21'))).toMatchObject({ kind: 'box', matched: 'key', box: { id: `key:${KEY_A.fingerprint}` } });
    expect(d.inventory.list()).toHaveLength(1);
  });

  it('a box announced over mDNS (serial S at A), swept at A, stays one box with its serial', () => {
    const d = setup();
    d.inventory.recordSighting({ boxId: 'FL123', source: 'mdns', address: '10.77.0.11', hostname: 'edge-01', serial: 'FL123', arch: 'arm64', state: 'provisioned' });
    expect(recordSwept(d, host('10.77.0.11'))).toMatchObject({ kind: 'box', matched: 'address', box: { id: 'FL123', serial: 'FL123', hostname: 'edge-01', arch: 'arm64' } });
    expect(d.inventory.list()).toHaveLength(1);
  });

  it('a pinned address answering with another key flags its box "key changed" and merges nothing', () => {
    const d = setup();
    d.inventory.recordSighting({ boxId: 'FL123', source: 'mdns', address: '10.77.0.11', serial: 'FL123' });
    d.trust.pin({ host: '10.77.0.11', port: 22, ...KEY_A, source: 'first-use', boxId: 'FL123' });
    const before = d.inventory.get('FL123')!.lastSeen;
    const o = recordSwept(d, host('10.77.0.11', [KEY_B]));
    expect(o).toMatchObject({ kind: 'key-changed', boxId: 'FL123', offered: [KEY_B] });
    expect(d.inventory.get('FL123')).toMatchObject({ trust: 'changed', lastSeen: before });
    expect(d.inventory.list()).toHaveLength(1);
    // The pinned key answering again is the pinned box, with an extra key type not counted as a swap.
    expect(recordSwept(d, host('10.77.0.11', [KEY_A, { keyType: 'ecdsa-sha2-nistp256', fingerprint: KEY_B.fingerprint }]))).toMatchObject({
      kind: 'box',
      matched: 'pin',
      box: { id: 'FL123' },
    });
  });

  it('a box known by another key at that address is a different box, not merged', () => {
    const d = setup();
    recordSwept(d, host('10.77.0.11', [KEY_A]));
    expect(recordSwept(d, host('10.77.0.11', [KEY_B]))).toMatchObject({ kind: 'box', matched: 'new', box: { id: `key:${KEY_B.fingerprint}` } });
    expect(d.inventory.list()).toHaveLength(2);
  });

  it('an open port with no host key is reported, not added', () => {
    const d = setup();
    expect(recordSwept(d, { address: '10.77.0.30', open: [6443], banner: null, hostKeys: [], probeError: null })).toMatchObject({ kind: 'unidentified' });
    expect(d.inventory.list()).toHaveLength(0);
  });
});

describe('the sweep as a job', () => {
  it('reports "N of M addresses", records sightings, and refuses a second sweep while one runs', async () => {
    const db = openDatabase(':memory:');
    const bus = new EventBus();
    const steps: string[] = [];
    bus.on('job.changed', (j) => j.step && steps.push(j.step));
    const port = await listen((s) => s.end('SSH-2.0-Fake\r\n'));
    await listen((s) => s.end('SSH-2.0-Fake\r\n'), '127.0.0.2', port);
    const sweeper = new Sweeper({
      jobs: new JobRegistry(bus),
      inventory: new Inventory(db),
      trust: new TrustStore(db),
      options: { ports: [port], timeoutMs: 300, probe: async (h) => [{ keyType: 'ssh-ed25519', fingerprint: `SHA256:${h.replaceAll('.', 'x').padEnd(43, 'A')}` }] },
    });
    expect(() => sweeper.plan('10.0.0.0/8')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    const { done } = sweeper.start({ cidr: '127.0.0.0/30' });
    expect(() => sweeper.start({ cidr: '127.0.0.0/30' })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    const summary = await done;
    expect(summary).toMatchObject({ cidr: '127.0.0.0/30', addresses: 2, open: 2 });
    expect(summary.boxes.map((b) => b.address)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(steps[0]).toBe('0 of 2 addresses · 0 boxes found');
    expect(steps.at(-1)).toBe('Scanned 2 addresses · 2 boxes found');
    // Finished: another sweep may start.
    await sweeper.start({ cidr: '127.0.0.1/32' }).done;
  });
});

describe('sweep first, mDNS second', () => {
  const sighting = (addresses: string[]): import('./mdns.ts').MdnsSighting => ({
    instance: 'edge-01._ssh._tcp.local',
    label: 'edge-01',
    service: '_ssh._tcp',
    hostname: 'edge-01',
    port: 22,
    addresses,
    txt: { serial: 'FL123', arch: 'arm64', state: 'provisioned' },
  });
  /** The swept box, then these announcements; resolves once the inventory holds exactly `expected`. */
  async function announceAfterSweep(probeKey: (host: string, port: number) => Promise<string | null>, sightings: string[][], expected: string[]) {
    const { Discovery } = await import('./discovery.ts');
    const db = openDatabase(':memory:');
    const inventory = new Inventory(db);
    const trust = new TrustStore(db);
    recordSwept({ inventory, trust }, { address: '10.77.0.11', open: [22], banner: 'SSH-2.0-OpenSSH_9.2', hostKeys: [KEY_A], probeError: null });
    let mdns: { onSighting: (s: import('./mdns.ts').MdnsSighting) => void } | undefined;
    const d = new Discovery({
      inventory,
      browser: (o) => ((mdns = o), { start: () => undefined, stop: () => undefined, requery: () => undefined }),
      serialWatcher: () => ({ start: () => undefined, stop: () => undefined }),
      probeKey,
    });
    d.start();
    for (const addresses of sightings) {
      mdns!.onSighting(sighting(addresses));
      await new Promise((r) => setTimeout(r, 50));
    }
    await vi.waitFor(
      () =>
        expect(
          inventory
            .list()
            .map((b) => b.id)
            .sort(),
        ).toEqual([...expected].sort()),
      { timeout: 3000 },
    );
    await d.stop();
  }

  it('merges when the probe of the swept key failed at first (sshd busy with the sweep) and answers on a later try', async () => {
    let calls = 0;
    await announceAfterSweep(
      async () => {
        if (++calls === 1) throw new Error('Connection reset by peer');
        return KEY_A.fingerprint;
      },
      [['10.77.0.11']],
      ['FL123'],
    );
    expect(calls).toBe(2);
  });

  it('merges when the first announcement came without an address and a later one brings it', async () => {
    await announceAfterSweep(async () => KEY_A.fingerprint, [[], ['10.77.0.11']], ['FL123']);
  });

  it('keeps two boxes when the address answers with another key than the swept one', async () => {
    await announceAfterSweep(async () => 'SHA256:someone-else', [['10.77.0.11']], ['FL123', keyBoxId(KEY_A.fingerprint)]);
  });

  it('the announcement of a box the sweep knows by its host key at that address is the same box, serial added', async () => {
    const { Discovery } = await import('./discovery.ts');
    const db = openDatabase(':memory:');
    const inventory = new Inventory(db);
    const trust = new TrustStore(db);
    recordSwept({ inventory, trust }, { address: '10.77.0.11', open: [22], banner: 'SSH-2.0-OpenSSH_9.2', hostKeys: [KEY_A], probeError: null });
    let mdns: { onSighting: (s: import('./mdns.ts').MdnsSighting) => void } | undefined;
    const d = new Discovery({
      inventory,
      browser: (o) => ((mdns = o), { start: () => undefined, stop: () => undefined, requery: () => undefined }),
      serialWatcher: () => ({ start: () => undefined, stop: () => undefined }),
      probeKey: async () => KEY_A.fingerprint,
    });
    d.start();
    mdns!.onSighting({
      instance: 'edge-01._ssh._tcp.local',
      label: 'edge-01',
      service: '_ssh._tcp',
      hostname: 'edge-01',
      port: 22,
      addresses: ['10.77.0.11'],
      txt: { serial: 'FL123', arch: 'arm64', state: 'provisioned' },
    });
    await d.stop();
    // One box, now known by its serial number (the merge rules' first key), its sweep sighting kept.
    expect(inventory.list()).toEqual([
      expect.objectContaining({ id: 'FL123', serial: 'FL123', hostname: 'edge-01', arch: 'arm64', state: 'provisioned', addresses: ['10.77.0.11'] }),
    ]);
    expect(
      db
        .prepare("SELECT source FROM sightings WHERE box_id = 'FL123' ORDER BY source")
        .all()
        .map((r) => (r as { source: string }).source),
    ).toEqual(['mdns', 'sweep']);
  });
});

describe('the subnets offered to scan', () => {
  it("are the laptop's own IPv4 networks, a big one cut to the /24 around its address, loopback and IPv6 left out", async () => {
    const { localSubnets } = await import('./sweeper.ts');
    const i = (address: string, cidr: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) =>
      ({ address, cidr, family, internal, netmask: '', mac: '', scopeid: 0 }) as import('node:os').NetworkInterfaceInfo;
    expect(
      localSubnets({
        lo: [i('127.0.0.1', '127.0.0.1/8', 'IPv4', true)],
        eth0: [i('10.77.0.2', '10.77.0.2/24'), i('fe80::1', 'fe80::1/64', 'IPv6')],
        wlan0: [i('10.20.30.40', '10.20.30.40/8')],
      }),
    ).toEqual([
      { cidr: '10.77.0.0/24', interface: 'eth0', address: '10.77.0.2' },
      { cidr: '10.20.30.0/24', interface: 'wlan0', address: '10.20.30.40' },
    ]);
  });
});
