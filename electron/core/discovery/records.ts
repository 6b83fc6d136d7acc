import { isIP } from 'node:net';

/**
 * The mDNS record cache (RFC 6762 §10): every answer a site's boxes send, kept for its TTL, with
 * goodbye packets (TTL 0) honoured after one second as the RFC asks. The site LAN is untrusted:
 * names, TXT strings and counts are bounded here, before anything else looks at them.
 */

export const LIMITS = {
  records: 50_000,
  nameLength: 255,
  txtEntries: 32,
  txtKeyLength: 64,
  txtValueLength: 256,
  /** RFC 6762 suggests 75 min for host records; anything claiming more is clamped. */
  maxTtlSeconds: 4 * 3600,
};

export type RecordType = 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA';

export interface CachedRecord {
  name: string;
  type: RecordType;
  /** PTR: the instance name; SRV: "port target"; TXT: the parsed pairs as JSON; A/AAAA: the address. */
  value: string;
  srv?: { port: number; target: string };
  txt?: Record<string, string>;
  /** Milliseconds since the epoch when this record expires. */
  expiresAt: number;
  ttlMs: number;
}

/** One answer as multicast-dns decodes it (dns-packet). Every field is box-supplied and unchecked. */
export interface RawAnswer {
  name?: unknown;
  type?: unknown;
  ttl?: unknown;
  data?: unknown;
}

const TYPES = new Set<RecordType>(['PTR', 'SRV', 'TXT', 'A', 'AAAA']);

/** A DNS name as a key: lower case (DNS names compare case-insensitively), no trailing dot. */
export function nameKey(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** Reads one answer into a record, or null when it is not one we use or not well formed. */
export function toRecord(a: RawAnswer, now: number): CachedRecord | null {
  if (typeof a.name !== 'string' || typeof a.type !== 'string' || !TYPES.has(a.type as RecordType)) return null;
  if (a.name.length === 0 || a.name.length > LIMITS.nameLength) return null;
  const ttl = typeof a.ttl === 'number' && Number.isFinite(a.ttl) && a.ttl >= 0 ? Math.min(a.ttl, LIMITS.maxTtlSeconds) : null;
  if (ttl === null) return null;
  const type = a.type as RecordType;
  const base = { name: nameKey(a.name), type, ttlMs: ttl * 1000, expiresAt: now + ttl * 1000 };
  switch (type) {
    case 'PTR':
      return typeof a.data === 'string' && a.data.length > 0 && a.data.length <= LIMITS.nameLength ? { ...base, value: nameKey(a.data) } : null;
    case 'A':
    case 'AAAA': {
      const ok = typeof a.data === 'string' && isIP(a.data) === (type === 'A' ? 4 : 6);
      return ok ? { ...base, value: (a.data as string).toLowerCase() } : null;
    }
    case 'SRV': {
      const d = a.data as { port?: unknown; target?: unknown } | null;
      if (!d || typeof d !== 'object' || typeof d.port !== 'number' || !Number.isInteger(d.port) || d.port < 1 || d.port > 65535) return null;
      if (typeof d.target !== 'string' || d.target.length === 0 || d.target.length > LIMITS.nameLength) return null;
      const srv = { port: d.port, target: nameKey(d.target) };
      return { ...base, value: `${srv.port} ${srv.target}`, srv };
    }
    case 'TXT': {
      const txt = parseTxt(a.data);
      return { ...base, value: JSON.stringify(txt), txt };
    }
  }
}

/**
 * TXT strings as key=value pairs (RFC 6763 §6): keys case-insensitive, the first occurrence wins,
 * a key without '=' is a boolean attribute. Bounded in count and length; values stay raw text
 * (the UI renders them as text), only cut to length.
 */
export function parseTxt(data: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const parts = Array.isArray(data) ? data : data instanceof Uint8Array || typeof data === 'string' ? [data] : [];
  let n = 0;
  for (const part of parts) {
    if (n >= LIMITS.txtEntries) break;
    const s = typeof part === 'string' ? part : part instanceof Uint8Array ? Buffer.from(part).toString('utf8') : null;
    if (s === null || s.length === 0) continue;
    const i = s.indexOf('=');
    const key = (i < 0 ? s : s.slice(0, i)).toLowerCase();
    if (key.length === 0 || key.length > LIMITS.txtKeyLength || !/^[\x21-\x7e]+$/.test(key) || key in out) continue;
    out[key] = i < 0 ? '' : s.slice(i + 1, i + 1 + LIMITS.txtValueLength);
    n++;
  }
  return { ...out };
}

/** The record cache, keyed by name, type and value as RFC 6762 keys it; indexed by name for look-ups. */
export class RecordCache {
  readonly #byName = new Map<string, Map<string, CachedRecord>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Adds or refreshes a record. A goodbye (TTL 0) keeps the record one more second (§10.1), so a
   * reordered packet cannot resurrect a box that said goodbye. Returns false when the cache is full.
   */
  put(r: CachedRecord, now: number): boolean {
    const key = `${r.type}\u0000${r.value}`;
    const here = this.#byName.get(r.name);
    const old = here?.get(key);
    if (r.ttlMs === 0) {
      if (old) old.expiresAt = Math.min(old.expiresAt, now + 1000);
      return true;
    }
    if (old) {
      here!.set(key, r);
      return true;
    }
    if (this.#size >= LIMITS.records) return false;
    if (here) here.set(key, r);
    else this.#byName.set(r.name, new Map([[key, r]]));
    this.#size++;
    return true;
  }

  /** Drops what expired; returns the dropped records. */
  expire(now: number): CachedRecord[] {
    const gone: CachedRecord[] = [];
    for (const [name, here] of this.#byName) {
      for (const [key, r] of here) {
        if (r.expiresAt > now) continue;
        here.delete(key);
        this.#size--;
        gone.push(r);
      }
      if (here.size === 0) this.#byName.delete(name);
    }
    return gone;
  }

  /** Drops every record of a name (a box that restarted: what it said before no longer holds). */
  forget(name: string): void {
    const here = this.#byName.get(nameKey(name));
    if (!here) return;
    this.#size -= here.size;
    this.#byName.delete(nameKey(name));
  }

  /** Drops one record by name, type and value (the service's PTR to a restarted instance). */
  forgetValue(name: string, type: RecordType, value: string): void {
    const here = this.#byName.get(nameKey(name));
    if (here?.delete(`${type}\u0000${value}`)) this.#size--;
  }

  /** Live records of one name and type (e.g. the PTRs of `_ssh._tcp.local`). */
  find(name: string, type: RecordType, now: number): CachedRecord[] {
    const out: CachedRecord[] = [];
    for (const r of this.#byName.get(nameKey(name))?.values() ?? []) if (r.type === type && r.expiresAt > now) out.push(r);
    return out;
  }
}
