import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { TrustPin } from '../../../shared/model.ts';
import { hostKeyIdOf, type HostKeyId } from './fingerprint.ts';
import { matchPatternList } from '../transport/index.ts';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  marker: '@cert-authority' | '@revoked' | null;
  /** Plain patterns (may hold wildcards, negations, [host]:port), or null when the line is hashed. */
  patterns: string[] | null;
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  /** The public key blob, base64 as in the file. */
  key: string;
  comment: string;
}

export interface KnownHostKey extends HostKeyId {
  /** The OpenSSH public key line body: `<type> <base64>`. */
  publicKey: string;
}

const MAX_FILE = 16 * 1024 * 1024;
const MAX_LINE = 16 * 1024;

/** OpenSSH writes non-default ports as [host]:port, and the bare host for 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The `|1|salt|hash` form `ssh-keygen -H` writes (HMAC-SHA1 of the name, keyed by a random salt). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const h = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${h.toString('base64')}`;
}

/** Parses known_hosts text; lines that are malformed or too long are skipped (box or user files are untrusted). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  if (text.length > MAX_FILE) throw new FieldlinkError('BAD_REQUEST', 'That known_hosts file is larger than 16 MiB; it is not a known_hosts file Fieldlink will read.');
  const out: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.length > MAX_LINE) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0] === '@cert-authority' || fields[0] === '@revoked') marker = fields.shift() as KnownHostEntry['marker'];
    else if (fields[0]!.startsWith('@')) continue;
    const [hosts, keyType, key, ...rest] = fields;
    if (!hosts || !keyType || !key || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) continue;
    let hashed: KnownHostEntry['hashed'] = null;
    let patterns: string[] | null = null;
    if (hosts.startsWith('|1|')) {
      const parts = hosts.split('|');
      if (parts.length !== 4) continue;
      hashed = { salt: Buffer.from(parts[2]!, 'base64'), hash: Buffer.from(parts[3]!, 'base64') };
      if (hashed.salt.length !== 20 || hashed.hash.length !== 20) continue;
    } else {
      patterns = hosts.split(',').filter(Boolean);
    }
    out.push({ marker, patterns, hashed, keyType, key, comment: rest.join(' ') });
  }
  return out;
}

export { matchPatternList };

export function entryMatches(e: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (e.hashed) return createHmac('sha1', e.hashed.salt).update(name).digest().equals(e.hashed.hash);
  return matchPatternList(e.patterns ?? [], name);
}

function keyOf(e: KnownHostEntry): KnownHostKey | null {
  try {
    const id = hostKeyIdOf(Buffer.from(e.key, 'base64'));
    if (id.keyType !== e.keyType) return null;
    return { ...id, publicKey: `${e.keyType} ${e.key}` };
  } catch {
    return null;
  }
}

/**
 * The keys known_hosts holds for host:port, like `ssh-keygen -F`: hashed lines match too; @revoked
 * keys are returned separately so a caller never trusts them; @cert-authority lines are not host keys.
 */
export function lookupKnownHosts(text: string, host: string, port = 22): { keys: KnownHostKey[]; revoked: KnownHostKey[] } {
  const keys: KnownHostKey[] = [];
  const revoked: KnownHostKey[] = [];
  for (const e of parseKnownHosts(text)) {
    if (e.marker === '@cert-authority' || !entryMatches(e, host, port)) continue;
    const k = keyOf(e);
    if (!k) continue;
    (e.marker === '@revoked' ? revoked : keys).push(k);
  }
  const bad = new Set(revoked.map((r) => r.fingerprint));
  return { keys: keys.filter((k) => !bad.has(k.fingerprint)), revoked };
}

/** A literal host[:port] a plain pattern names, or null for wildcards and negations (they cannot be pinned). */
function literalTarget(pattern: string): { host: string; port: number } | null {
  if (/[*?!]/.test(pattern)) return null;
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(pattern);
  if (m) {
    const port = Number(m[2]);
    return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
  }
  return pattern.includes(':') && !pattern.includes('::') && pattern.split(':').length === 2 ? null : { host: pattern, port: 22 };
}

export interface KnownHostsImport {
  /** Each (host, port, key) to pin. */
  keys: Array<KnownHostKey & { host: string; port: number }>;
  /** Hashed lines that matched none of the candidate hosts (their names cannot be recovered). */
  hashedUnmatched: number;
  wildcard: number;
  revoked: number;
}

/**
 * What an OpenSSH known_hosts file says, as pins: every literal host entry, and hashed entries for the
 * candidate hosts given (a hash can only be checked against a name, never reversed). Revoked keys
 * are never imported.
 */
export function importKnownHosts(text: string, candidates: Array<{ host: string; port: number }> = []): KnownHostsImport {
  const entries = parseKnownHosts(text);
  const revokedFps = new Set(
    entries
      .filter((e) => e.marker === '@revoked')
      .map(keyOf)
      .filter((k) => k !== null)
      .map((k) => k.fingerprint),
  );
  const out: KnownHostsImport = { keys: [], hashedUnmatched: 0, wildcard: 0, revoked: 0 };
  const seen = new Set<string>();
  const add = (host: string, port: number, k: KnownHostKey) => {
    const id = `${host}\0${port}\0${k.keyType}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.keys.push({ ...k, host, port });
  };
  for (const e of entries) {
    if (e.marker === '@cert-authority') continue;
    if (e.marker === '@revoked') {
      out.revoked++;
      continue;
    }
    const k = keyOf(e);
    if (!k) continue;
    if (revokedFps.has(k.fingerprint)) continue;
    if (e.hashed) {
      const hits = candidates.filter((c) => entryMatches(e, c.host, c.port));
      if (hits.length === 0) out.hashedUnmatched++;
      for (const c of hits) add(c.host, c.port, k);
      continue;
    }
    for (const p of e.patterns ?? []) {
      const t = literalTarget(p);
      if (t) add(t.host, t.port, k);
      else out.wildcard++;
    }
  }
  return out;
}

/**
 * known_hosts lines for the pins whose full public key Fieldlink has seen (a pin alone holds only a
 * fingerprint, and known_hosts needs the key). `hash` writes `ssh-keygen -H` style names.
 */
export function exportKnownHosts(pins: TrustPin[], publicKeys: KnownHostKey[], opts: { hash?: boolean } = {}): { text: string; exported: number; missingKey: TrustPin[] } {
  const byFp = new Map(publicKeys.map((k) => [k.fingerprint, k]));
  const lines: string[] = [];
  const missingKey: TrustPin[] = [];
  for (const p of pins) {
    const k = byFp.get(p.fingerprint);
    if (!k || k.keyType !== p.keyType) {
      missingKey.push(p);
      continue;
    }
    const name = knownHostsName(p.host, p.port);
    lines.push(`${opts.hash ? hashHostName(name) : name} ${k.publicKey}`);
  }
  return { text: lines.length ? `${lines.join('\n')}\n` : '', exported: lines.length, missingKey };
}

/**
 * The full public keys Fieldlink has seen in handshakes or imports, kept as a known_hosts file in
 * the data dir. The pins in the trust table stay the authority; this only supplies key material
 * for export.
 */
export class PublicKeyBook {
  readonly #file: string;
  constructor(dataDir: string) {
    this.#file = path.join(dataDir, 'known_hosts');
  }

  all(): KnownHostKey[] {
    let text = '';
    try {
      text = fs.readFileSync(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new FieldlinkError('STORAGE', `Cannot read ${this.#file}.`, undefined, { cause: err });
    }
    return parseKnownHosts(text)
      .map(keyOf)
      .filter((k) => k !== null);
  }

  remember(host: string, port: number, key: KnownHostKey): void {
    if (this.all().some((k) => k.fingerprint === key.fingerprint)) return;
    try {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
      fs.appendFileSync(this.#file, `${knownHostsName(host, port)} ${key.publicKey}\n`, { mode: 0o600 });
    } catch (err) {
      throw new FieldlinkError('STORAGE', `Cannot write ${this.#file}.`, undefined, { cause: err });
    }
  }
}
