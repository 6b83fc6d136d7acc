import os from 'node:os';
import makeMdns from 'multicast-dns';
import type { Logger } from '../log/index.ts';
import { LIMITS, RecordCache, nameKey, toRecord, type CachedRecord, type RawAnswer } from './records.ts';

/** The DNS-SD services an edge box announces: its SSH server, and avahi's own workstation record. */
export const BROWSED_SERVICES = ['_ssh._tcp.local', '_workstation._tcp.local'] as const;

/** What one box's announcement says, assembled from its PTR, SRV, TXT and address records. */
export interface MdnsSighting {
  /** The full instance name, e.g. `box-01._ssh._tcp.local` (lower case). */
  instance: string;
  /** The instance label as the box wrote it, without the service suffix: box-supplied text. */
  label: string;
  service: string;
  /** The SRV target without `.local`, or null until the SRV record arrives. */
  hostname: string | null;
  port: number | null;
  addresses: string[];
  txt: Record<string, string>;
}

/** One socket on one local interface; the browser does not care how it is made (tests pass their own). */
export interface MdnsTransport {
  query(q: { questions: Array<{ name: string; type: string }>; answers?: RawAnswer[] }): void;
  /** `from`: the sender's address; a link-local IPv6 one carries the interface it arrived on (fe80::…%eth0). */
  onResponse(fn: (packet: { answers?: unknown; additionals?: unknown }, from?: string) => void): void;
  /** Queries others send: a probe (a query with authority records) is a responder starting up. */
  onQuery?(fn: (packet: { questions?: unknown; authorities?: unknown }) => void): void;
  close(): void;
}

export interface MdnsBrowserOptions {
  onSighting: (s: MdnsSighting) => void;
  onGone: (instance: string) => void;
  services?: readonly string[];
  /** Default: one socket per non-internal IPv4 address and one per interface with IPv6. */
  transports?: MdnsTransport[];
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

/** RFC 6762 §5.2: the first query after 20–120 ms, then intervals from 1 s, doubling, capped at 60 min. */
export const QUERY_BACKOFF = { firstMinMs: 20, firstMaxMs: 120, initialMs: 1000, maxMs: 60 * 60_000 };
const EXPIRY_TICK_MS = 1000;
/** Refresh a service's PTR at 80 % of its TTL (§5.2, cache maintenance), at most one query a second. */
const REFRESH_AT = 0.8;
/** An unchanged box is reported again at most this often, so its "last seen" stays current. */
const STILL_HERE_MS = 60_000;

/**
 * A continuous DNS-SD browser on every interface, sharing port 5353 with an avahi or Bonjour that
 * may already run on the laptop (SO_REUSEADDR). Sightings are reported whenever what a box
 * announces changes, and a box that says goodbye (TTL 0) or whose records expire is reported gone.
 */
export class MdnsBrowser {
  readonly #opts: MdnsBrowserOptions;
  readonly #services: string[];
  readonly #cache = new RecordCache();
  readonly #now: () => number;
  readonly #random: () => number;
  /** Each present instance and the last thing reported for it, to report only changes. */
  readonly #present = new Map<string, { sig: string; at: number }>();
  #transports: MdnsTransport[] = [];
  #queryTimer: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  #interval = QUERY_BACKOFF.initialMs;
  #lastQuery = 0;
  #dropped = 0;

  constructor(opts: MdnsBrowserOptions) {
    this.#opts = opts;
    this.#services = (opts.services ?? BROWSED_SERVICES).map(nameKey);
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  start(): void {
    this.#transports = this.#opts.transports ?? openTransports(this.#opts.log);
    for (const t of this.#transports) {
      t.onResponse((p, from) => this.ingest(p, from?.includes('%') ? from.slice(from.indexOf('%') + 1) : undefined));
      t.onQuery?.((q) => this.ingestQuery(q));
    }
    const first = QUERY_BACKOFF.firstMinMs + this.#random() * (QUERY_BACKOFF.firstMaxMs - QUERY_BACKOFF.firstMinMs);
    this.#queryTimer = setTimeout(() => this.#scheduledQuery(), first);
    this.#tick = setInterval(() => this.#maintain(), EXPIRY_TICK_MS);
    this.#tick.unref?.();
  }

  /** Ask again now and restart the backoff (the technician pressed "Scan", or a link came up). */
  requery(): void {
    clearTimeout(this.#queryTimer);
    this.#interval = QUERY_BACKOFF.initialMs;
    this.#scheduledQuery();
  }

  stop(): void {
    clearTimeout(this.#queryTimer);
    clearInterval(this.#tick);
    for (const t of this.#transports) t.close();
    this.#transports = [];
  }

  /** Records that did not fit in the bounded cache (a flood from the LAN). */
  get dropped(): number {
    return this.#dropped;
  }

  /** One response packet from the LAN, decoded but unchecked. Public for the fuzz tests. */
  ingest(packet: { answers?: unknown; additionals?: unknown }, ifname?: string): void {
    // The interface name comes from the OS (the arrival scope of the packet), never from the packet.
    if (ifname !== undefined && !/^[\w.-]{1,32}$/.test(ifname)) ifname = undefined;
    const now = this.#now();
    const touched = new Set<string>();
    for (const list of [packet?.answers, packet?.additionals]) {
      if (!Array.isArray(list)) continue;
      for (const raw of list.slice(0, 256)) {
        const r = typeof raw === 'object' && raw !== null ? toRecord(raw as RawAnswer, now) : null;
        if (!r) continue;
        // A link-local IPv6 address is only reachable through the interface the answer arrived on
        // (not the socket's: every socket on port 5353 hears every interface's packets).
        if (r.type === 'AAAA' && ifname && /^fe[89ab][0-9a-f]:/.test(r.value) && !r.value.includes('%')) r.value = `${r.value}%${ifname}`;
        if (!this.#cache.put(r, now)) this.#dropped++;
        touched.add(r.type === 'PTR' ? r.value : r.name);
      }
    }
    if (touched.size) this.#reconcile(touched, now);
  }

  /**
   * A query from the LAN. One with authority records is a probe (RFC 6762 §8.1): a responder that
   * has just started claims its names. A box that probes for a name we hold was power-cycled or
   * restarted; its old records are dropped, so it shows as gone until it announces itself again
   * (a second or so later) instead of looking unchanged for the length of its TTLs.
   */
  ingestQuery(packet: { questions?: unknown; authorities?: unknown }): void {
    if (!Array.isArray(packet?.authorities) || packet.authorities.length === 0 || !Array.isArray(packet.questions)) return;
    const now = this.#now();
    const claimed = new Set<string>();
    for (const q of packet.questions.slice(0, 64)) {
      const name = (q as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && name.length <= LIMITS.nameLength) claimed.add(nameKey(name));
    }
    const restarted = [...this.#present.keys()].filter((inst) => claimed.has(inst) || claimed.has(this.#targetOf(inst, now) ?? ''));
    for (const inst of restarted) {
      const target = this.#targetOf(inst, now);
      this.#cache.forget(inst);
      if (target) this.#cache.forget(target);
      for (const service of this.#services) this.#cache.forgetValue(service, 'PTR', inst);
      this.#present.delete(inst);
      this.#opts.onGone(inst);
    }
  }

  #scheduledQuery(): void {
    this.#query();
    this.#queryTimer = setTimeout(() => this.#scheduledQuery(), this.#interval);
    this.#interval = Math.min(this.#interval * 2, QUERY_BACKOFF.maxMs);
  }

  /** One query for every browsed service, with the answers we already hold (known-answer suppression, §7.1). */
  #query(): void {
    const now = this.#now();
    this.#lastQuery = now;
    const answers: RawAnswer[] = [];
    for (const service of this.#services) {
      for (const r of this.#cache.find(service, 'PTR', now)) {
        const left = r.expiresAt - now;
        if (left > r.ttlMs / 2) answers.push({ name: r.name, type: 'PTR', ttl: Math.floor(left / 1000), data: r.value });
      }
    }
    const questions = this.#services.map((name) => ({ name, type: 'PTR' }));
    for (const t of this.#transports) {
      try {
        t.query({ questions, answers: answers.slice(0, 200) });
      } catch (err) {
        this.#opts.log?.debug({ err }, 'mdns query failed on one interface');
      }
    }
  }

  #maintain(): void {
    const now = this.#now();
    const gone = this.#cache.expire(now);
    if (gone.length) this.#reconcile(new Set(gone.map((r) => (r.type === 'PTR' ? r.value : r.name))), now);
    if (now - this.#lastQuery >= 1000 && this.#needsRefresh(now)) this.#query();
  }

  #needsRefresh(now: number): boolean {
    for (const service of this.#services) {
      for (const r of this.#cache.find(service, 'PTR', now)) if (now >= r.expiresAt - r.ttlMs * (1 - REFRESH_AT) && now - this.#lastQuery > r.ttlMs * 0.05) return true;
    }
    return false;
  }

  /** Re-reads every instance a changed record belongs to and reports what changed. */
  #reconcile(names: Set<string>, now: number): void {
    const instances = new Set<string>();
    for (const n of names) {
      if (this.#present.has(n) || this.#serviceOf(n)) instances.add(n);
      // An address or SRV target changed: every instance on that host is affected.
      for (const inst of this.#present.keys()) if (this.#targetOf(inst, now) === n) instances.add(inst);
    }
    for (const inst of instances) {
      const s = this.#assemble(inst, now);
      if (!s) {
        if (this.#present.delete(inst)) this.#opts.onGone(inst);
        continue;
      }
      const sig = JSON.stringify(s);
      const last = this.#present.get(inst);
      if (last?.sig === sig && now - last.at < STILL_HERE_MS) continue;
      if (!last && this.#present.size >= LIMITS.records / 5) continue;
      this.#present.set(inst, { sig, at: now });
      this.#opts.onSighting(s);
    }
  }

  #serviceOf(instance: string): string | undefined {
    return this.#services.find((s) => instance.endsWith(`.${s}`));
  }

  #targetOf(instance: string, now: number): string | undefined {
    return this.#cache.find(instance, 'SRV', now)[0]?.srv?.target;
  }

  #assemble(instance: string, now: number): MdnsSighting | null {
    const service = this.#serviceOf(instance);
    if (!service) return null;
    // Present while some PTR of the service still points at it.
    if (!this.#cache.find(service, 'PTR', now).some((r) => r.value === instance)) return null;
    const srv = newest(this.#cache.find(instance, 'SRV', now))?.srv;
    const txt = newest(this.#cache.find(instance, 'TXT', now))?.txt ?? {};
    const addresses = srv
      ? [...this.#cache.find(srv.target, 'A', now), ...this.#cache.find(srv.target, 'AAAA', now)]
          .map((r) => r.value)
          .sort()
          .slice(0, 16)
      : [];
    return {
      instance,
      label: instance.slice(0, -service.length - 1),
      service: service.replace(/\.local$/, ''),
      hostname: srv ? srv.target.replace(/\.local$/, '') : null,
      port: srv?.port ?? null,
      addresses,
      txt,
    };
  }
}

function newest(records: CachedRecord[]): CachedRecord | undefined {
  return records.reduce<CachedRecord | undefined>((a, r) => (!a || r.expiresAt > a.expiresAt ? r : a), undefined);
}

/** One multicast-dns socket per local IPv4 address, and one per interface that has IPv6. */
export function openTransports(log?: Logger): MdnsTransport[] {
  const out: MdnsTransport[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      const opts =
        a.family === 'IPv4'
          ? { interface: a.address, bind: '0.0.0.0', reuseAddr: true }
          : a.address.startsWith('fe80:') && !out.some((t) => (t as { iface?: string }).iface === `${name}/6`)
            ? { type: 'udp6', ip: 'ff02::fb', interface: `::%${name}`, bind: '::', reuseAddr: true }
            : null;
      if (!opts) continue;
      try {
        const t = socketTransport(makeMdns(opts as Parameters<typeof makeMdns>[0]), `${name}/${a.family === 'IPv4' ? 4 : 6}`, log);
        out.push(t);
      } catch (err) {
        log?.warn({ err, iface: name }, 'mdns: cannot listen on this interface');
      }
    }
  }
  return out;
}

function socketTransport(m: ReturnType<typeof makeMdns>, iface: string, log?: Logger): MdnsTransport & { iface: string } {
  // Malformed packets from the LAN are warnings, never crashes; a socket error is logged and the
  // other interfaces go on.
  m.on('warning', (err: Error) => log?.debug({ err: err.message, iface }, 'mdns: malformed packet ignored'));
  m.on('error', (err: Error) => log?.warn({ err: err.message, iface }, 'mdns socket error'));
  return {
    iface,
    query: (q) => m.query(q as unknown as Parameters<typeof m.query>[0]),
    onResponse: (fn) => m.on('response', (packet: { answers?: unknown }, rinfo: { address?: string }) => fn(packet, rinfo?.address)),
    onQuery: (fn) => m.on('query', fn),
    close: () => m.destroy(),
  };
}
