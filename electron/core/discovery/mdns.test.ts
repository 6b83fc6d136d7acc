import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import dnsPacket from 'dns-packet';
import { MdnsBrowser, QUERY_BACKOFF, type MdnsSighting, type MdnsTransport } from './mdns.ts';
import { LIMITS, parseTxt } from './records.ts';

/** A box's whole announcement, as avahi sends it in one response. */
function announce(o: { label: string; host: string; ip: string; txt?: string[]; ttl?: number; port?: number }) {
  const inst = `${o.label}._ssh._tcp.local`;
  const ttl = o.ttl ?? 120;
  return {
    answers: [{ name: '_ssh._tcp.local', type: 'PTR', ttl, data: inst }],
    additionals: [
      { name: inst, type: 'SRV', ttl, data: { port: o.port ?? 22, target: `${o.host}.local`, priority: 0, weight: 0 } },
      { name: inst, type: 'TXT', ttl, data: (o.txt ?? []).map((s) => Buffer.from(s)) },
      { name: `${o.host}.local`, type: 'A', ttl, data: o.ip },
    ],
  };
}

function fakeTransport() {
  const queries: Array<{ questions: Array<{ name: string; type: string }>; answers?: unknown[] }> = [];
  let handler: ((p: { answers?: unknown; additionals?: unknown }) => void) | undefined;
  const t: MdnsTransport = { query: (q) => queries.push(q), onResponse: (fn) => (handler = fn), close: () => undefined };
  return { t, queries, receive: (p: unknown) => handler?.(p as { answers?: unknown }) };
}

describe('mDNS browser', () => {
  let now = 1_000_000;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000_000;
  });
  afterEach(() => vi.useRealTimers());

  const browser = (transports: MdnsTransport[]) => {
    const seen: MdnsSighting[] = [];
    const gone: string[] = [];
    const b = new MdnsBrowser({ transports, onSighting: (s) => seen.push(s), onGone: (i) => gone.push(i), now: () => now, random: () => 0.5 });
    return { b, seen, gone };
  };
  const advance = async (ms: number) => {
    now += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };

  it('assembles a box from PTR, SRV, TXT and A records, with its TXT facts', () => {
    const f = fakeTransport();
    const { b, seen } = browser([f.t]);
    b.start();
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11', txt: ['vendor=Acme', 'serial=FL1', 'arch=arm64', 'state=factory'] }));
    expect(seen).toEqual([
      {
        instance: 'box-01._ssh._tcp.local',
        label: 'box-01',
        service: '_ssh._tcp',
        hostname: 'box-01',
        port: 22,
        addresses: ['10.77.0.11'],
        txt: { vendor: 'Acme', serial: 'FL1', arch: 'arm64', state: 'factory' },
      },
    ]);
    b.stop();
  });

  it('reports only changes: the same announcement again is silent, a new address is a sighting', () => {
    const f = fakeTransport();
    const { b, seen } = browser([f.t]);
    b.start();
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11' }));
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11' }));
    expect(seen).toHaveLength(1);
    f.receive({ answers: [{ name: 'box-01.local', type: 'A', ttl: 120, data: '10.77.0.50' }] });
    expect(seen.at(-1)?.addresses).toEqual(['10.77.0.11', '10.77.0.50']);
    b.stop();
  });

  it('a goodbye (TTL 0) takes the box away after one second; cache expiry does too', async () => {
    const f = fakeTransport();
    const { b, gone } = browser([f.t]);
    b.start();
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11' }));
    f.receive(announce({ label: 'box-02', host: 'box-02', ip: '10.77.0.12', ttl: 5 }));
    f.receive({ answers: [{ name: '_ssh._tcp.local', type: 'PTR', ttl: 0, data: 'box-01._ssh._tcp.local' }] });
    expect(gone).toEqual([]);
    await advance(1100);
    expect(gone).toEqual(['box-01._ssh._tcp.local']);
    await advance(5000);
    expect(gone).toEqual(['box-01._ssh._tcp.local', 'box-02._ssh._tcp.local']);
    b.stop();
  });

  it('a probe for a name it announced (a power-cycled box starting again) takes it away until it re-announces', () => {
    const f = fakeTransport();
    const { b, seen, gone } = browser([f.t]);
    b.start();
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11' }));
    // A plain query for the name is not a probe: nothing changes.
    b.ingestQuery({ questions: [{ name: 'box-01.local', type: 'ANY' }], authorities: [] });
    expect(gone).toEqual([]);
    b.ingestQuery({ questions: [{ name: 'box-01.local', type: 'ANY' }], authorities: [{ name: 'box-01.local', type: 'A', ttl: 120, data: '10.77.0.11' }] });
    expect(gone).toEqual(['box-01._ssh._tcp.local']);
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11' }));
    expect(seen).toHaveLength(2);
    b.stop();
  });

  it('an unchanged box is reported again once a minute, so its last-seen time stays current', async () => {
    const f = fakeTransport();
    const { b, seen } = browser([f.t]);
    b.start();
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11', ttl: 4500 }));
    await advance(30_000);
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11', ttl: 4500 }));
    expect(seen).toHaveLength(1);
    await advance(31_000);
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11', ttl: 4500 }));
    expect(seen).toHaveLength(2);
    b.stop();
  });

  it('queries first after 20-120 ms, then at 1 s, 2 s, 4 s…: never a flood', async () => {
    const f = fakeTransport();
    const { b } = browser([f.t]);
    b.start();
    await advance(QUERY_BACKOFF.firstMaxMs);
    expect(f.queries).toHaveLength(1);
    expect(f.queries[0]!.questions).toEqual([
      { name: '_ssh._tcp.local', type: 'PTR' },
      { name: '_workstation._tcp.local', type: 'PTR' },
    ]);
    await advance(60_000);
    // 1 + 2 + 4 + 8 + 16 + 32 = 63 s: six more queries fit in the first minute, not sixty.
    expect(f.queries.length).toBeGreaterThanOrEqual(6);
    expect(f.queries.length).toBeLessThanOrEqual(7);
    b.stop();
  });

  it('sends what it already knows with the query (known-answer suppression)', async () => {
    const f = fakeTransport();
    const { b } = browser([f.t]);
    b.start();
    f.receive(announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11', ttl: 4500 }));
    await advance(QUERY_BACKOFF.firstMaxMs);
    expect(f.queries[0]!.answers).toEqual([{ name: '_ssh._tcp.local', type: 'PTR', ttl: expect.any(Number), data: 'box-01._ssh._tcp.local' }]);
    b.stop();
  });

  it('bounds TXT: entry count, key and value length; the first of a repeated key wins', () => {
    const txt = parseTxt([...Array.from({ length: 100 }, (_, i) => Buffer.from(`k${i}=v`)), Buffer.from('k0=late')]);
    expect(Object.keys(txt)).toHaveLength(LIMITS.txtEntries);
    expect(txt.k0).toBe('v');
    expect(parseTxt([Buffer.from(`serial=${'x'.repeat(10_000)}`)]).serial).toHaveLength(LIMITS.txtValueLength);
    expect(parseTxt([Buffer.from('model=<img src=x onerror=alert(1)>\u001b[31m')]).model).toBe('<img src=x onerror=alert(1)>\u001b[31m');
    // A box naming a key __proto__ gets an ordinary entry, never a new prototype.
    const proto = parseTxt(['__proto__=x']);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  it('survives 2,000 malformed, truncated and mutated packets with bounded memory', () => {
    const f = fakeTransport();
    const { b, seen } = browser([f.t]);
    b.start();
    const good = dnsPacket.encode({ type: 'response', ...announce({ label: 'box-01', host: 'box-01', ip: '10.77.0.11', txt: ['serial=FL1'] }) } as dnsPacket.Packet);
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let decoded = 0;
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(good);
      const kind = i % 4;
      let bytes: Buffer;
      if (kind === 0) bytes = buf.subarray(0, Math.floor(rand() * buf.length));
      else if (kind === 1) {
        for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
        bytes = buf;
      } else if (kind === 2) bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 512) }, () => Math.floor(rand() * 256)));
      else bytes = Buffer.concat([buf, Buffer.alloc(Math.floor(rand() * 64), 0xff)]);
      let packet: unknown;
      try {
        packet = dnsPacket.decode(bytes);
        decoded++;
      } catch {
        continue; // multicast-dns drops what dns-packet cannot decode, as a warning
      }
      b.ingest(packet as { answers?: unknown });
    }
    // Shapes dns-packet never produces, straight at the browser.
    for (const odd of [null, {}, { answers: 'x' }, { answers: [null, 1, 'a', { name: 5 }, { name: 'x', type: 'PTR', ttl: -1 }, { name: 'x', type: 'SRV', ttl: 1, data: null }] }])
      b.ingest(odd as never);
    expect(decoded).toBeGreaterThan(100);
    for (const s of seen) {
      expect(s.addresses.length).toBeLessThanOrEqual(16);
      expect(s.instance.length).toBeLessThanOrEqual(LIMITS.nameLength);
    }
    b.stop();
  });

  it('a flood of distinct records stops at the cache bound', () => {
    const f = fakeTransport();
    const { b } = browser([f.t]);
    b.start();
    for (let i = 0; i < LIMITS.records / 200 + 10; i++) {
      f.receive({ answers: Array.from({ length: 256 }, (_, k) => ({ name: `h${i}-${k}.local`, type: 'A', ttl: 120, data: '10.0.0.1' })) });
    }
    expect(b.dropped).toBeGreaterThan(0);
    b.stop();
  });
});
