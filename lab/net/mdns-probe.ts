/**
 * Run inside fl-tech by `up`: asks `_ssh._tcp.local` over mDNS until every expected box serial has
 * answered, so `up` returns only once discovery really works (avahi needs a moment after start to
 * probe its host name). Exit 0 when all answered; 1 with the missing serials on stderr.
 *   ip netns exec fl-tech node lab/net/mdns-probe.ts TIMEOUT_MS SERIAL...
 */
import makeMdns from 'multicast-dns';
import { TECH_IP } from '../config.ts';

interface Answer {
  name: string;
  type: string;
  data: unknown;
}

const [timeoutArg, ...serials] = process.argv.slice(2);
const want = new Set(serials);
const m = makeMdns({ interface: TECH_IP, bind: '0.0.0.0', reuseAddr: true } as Parameters<typeof makeMdns>[0]);
m.on('response', (r: { answers: Answer[]; additionals: Answer[] }) => {
  for (const a of [...r.answers, ...r.additionals]) {
    if (a.type !== 'TXT' || !Array.isArray(a.data)) continue;
    for (const part of a.data as Buffer[]) {
      const s = Buffer.from(part).toString('utf8');
      if (s.startsWith('serial=')) want.delete(s.slice(7));
    }
  }
  if (want.size === 0) finish(0);
});
m.on('error', (e: Error) => {
  process.stderr.write(`mdns-probe: ${e.message}\n`);
  finish(1);
});
const ask = () => m.query({ questions: [{ name: '_ssh._tcp.local', type: 'PTR' }] });
ask();
const every = setInterval(ask, 700);
const timer = setTimeout(
  () => {
    process.stderr.write(`no mDNS answer from: ${[...want].join(' ')}\n`);
    finish(1);
  },
  Number(timeoutArg) || 20_000,
);

function finish(code: number): void {
  clearInterval(every);
  clearTimeout(timer);
  m.destroy();
  process.exitCode = code;
}
