import { describe, expect, it } from 'vitest';
import makeMdns from 'multicast-dns';
import { labStatus } from './helpers.ts';

interface Answer {
  name: string;
  type: string;
  data: unknown;
}

/** An mDNS client that is not avahi: raw multicast-dns, from the technician namespace. */
async function browse(ms: number): Promise<Map<string, Record<string, string>>> {
  const m = makeMdns({ interface: '10.77.0.2', bind: '0.0.0.0', reuseAddr: true } as Parameters<typeof makeMdns>[0]);
  const txt = new Map<string, Record<string, string>>();
  m.on('response', (r: { answers: Answer[]; additionals: Answer[] }) => {
    for (const a of [...r.answers, ...r.additionals]) {
      if (a.type !== 'TXT' || !a.name.endsWith('._ssh._tcp.local')) continue;
      const rec: Record<string, string> = {};
      for (const part of a.data as Buffer[]) {
        const s = part.toString('utf8');
        const i = s.indexOf('=');
        if (i > 0) rec[s.slice(0, i)] = s.slice(i + 1);
      }
      txt.set(a.name, rec);
    }
  });
  // Asked twice, as real browsers do: a first query can race the sockets joining the group.
  m.query({ questions: [{ name: '_ssh._tcp.local', type: 'PTR' }] });
  await new Promise((r) => setTimeout(r, ms / 2));
  m.query({ questions: [{ name: '_ssh._tcp.local', type: 'PTR' }] });
  await new Promise((r) => setTimeout(r, ms / 2));
  m.destroy();
  return txt;
}

describe('mDNS from the technician namespace', () => {
  it('every box answers a _ssh._tcp query with TXT vendor, model, serial, arch and state', async () => {
    const s = await labStatus();
    const txt = await browse(3000);
    const bySerial = new Map([...txt.values()].map((r) => [r.serial, r]));
    for (const b of s.boxes.filter((x) => x.power === 'on')) {
      const r = bySerial.get(b.serial);
      expect(r, `${b.name} did not answer`).toBeDefined();
      expect(r).toEqual({ vendor: b.vendor, model: b.model, serial: b.serial, arch: b.arch, state: b.state });
    }
  });
});
