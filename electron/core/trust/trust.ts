import { FieldlinkError } from '../../../shared/errors.ts';
import type { TrustPin, TrustSource } from '../../../shared/model.ts';
import type { AuditLog, TrustStore } from '../db/index.ts';
import { connectSsh, hostKeyAlgorithmsFor, probeHostKeys, type HostKey, type HostKeyCheck, type HostKeyVerdict } from '../transport/index.ts';
import { fingerprintOf, keyTypeOf, normalizeFingerprint, typedMatches, type HostKeyId } from './fingerprint.ts';
import { exportKnownHosts, importKnownHosts, type PublicKeyBook } from './knownhosts.ts';

/**
 * strict: only pinned keys (OpenSSH StrictHostKeyChecking=yes); accept-new: pin an unknown key on
 * first use, refuse a changed one; ask: the technician decides about an unknown key.
 */
export type TrustMode = 'strict' | 'accept-new' | 'ask';

/** Shown the offered keys, true to trust them on first use. */
export type AskTrust = (offered: HostKeyId[], where: { host: string; port: number }) => Promise<boolean>;

/** What the pins of one host:port say about the keys it offers now. */
export type Verdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  /** A key type whose pin has another fingerprint, or a key type that was never pinned there. */
  | { kind: 'changed'; differs: HostKeyId[]; added: HostKeyId[] }
  /** The address is pinned for another box than the one the technician is reaching. */
  | { kind: 'other-box'; pinnedBox: string };

/**
 * The one rule: a pinned host:port shows only its pinned keys (any differing or added key type is a
 * change), and is reached only as the box it was pinned for. No pins at all is "unknown".
 */
export function judge(pins: readonly TrustPin[] | readonly (HostKeyId & { boxId?: string | null })[], offered: readonly HostKeyId[], boxId: string | null): Verdict {
  const owner = pins.find((p) => p.boxId && boxId && p.boxId !== boxId);
  if (owner) return { kind: 'other-box', pinnedBox: owner.boxId! };
  if (pins.length === 0) return { kind: 'unknown' };
  const differs: HostKeyId[] = [];
  const added: HostKeyId[] = [];
  for (const k of offered) {
    const p = pins.find((x) => x.keyType === k.keyType);
    if (!p) added.push(k);
    else if (p.fingerprint !== k.fingerprint) differs.push(k);
  }
  return differs.length || added.length ? { kind: 'changed', differs, added } : { kind: 'match' };
}

const ids = (l: readonly HostKeyId[]) => l.map((k) => ({ keyType: k.keyType, fingerprint: k.fingerprint }));
const listed = (l: readonly HostKeyId[]) => l.map((k) => `${k.keyType} ${k.fingerprint}`).join(', ') || 'none';

/** The refusal for a verdict that is not a match: the same words whichever front door asked. */
export function refusalOf(
  v: Exclude<Verdict, { kind: 'match' }>,
  host: string,
  port: number,
  pins: readonly (HostKeyId & Partial<Pick<TrustPin, 'source' | 'pinnedAt' | 'boxId'>>)[],
  offered: readonly HostKeyId[],
  boxId: string | null,
): FieldlinkError {
  const where = `${host}:${port}`;
  const pinned = pins.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint, ...(p.source ? { source: p.source } : {}), ...(p.pinnedAt ? { pinnedAt: p.pinnedAt } : {}) }));
  const details = { host, port, offered: ids(offered), pinned, old: pinned, new: ids(offered) };
  if (v.kind === 'other-box') {
    return new FieldlinkError(
      'HOST_KEY_CHANGED',
      `${where} is pinned for box ${v.pinnedBox}, not for ${boxId}. Nothing was sent to it. Another box may have taken the address, ` +
        'or the inventory is out of date: read the box over its serial cable (fieldlink trust serial:PATH) before connecting.',
      { ...details, pinnedBox: v.pinnedBox, targetBox: boxId },
    );
  }
  if (v.kind === 'changed') {
    const now = [...v.differs, ...v.added];
    return new FieldlinkError(
      'HOST_KEY_CHANGED',
      `The host key of ${where} has CHANGED. Pinned: ${listed(pins)}. Offered now: ${listed(now)}` +
        `${v.added.length ? ` (${v.added.map((k) => k.keyType).join(', ')} never pinned there)` : ''}. ` +
        'Nothing was sent to it. The box may have been reinstalled, or something else is answering at its address: ' +
        'check the key over the serial cable (fieldlink trust serial:PATH) before trusting the new one.',
      details,
    );
  }
  return new FieldlinkError(
    'HOST_KEY_UNKNOWN',
    `The host key of ${where} is not pinned yet: ${listed(offered)}. ` +
      'Compare it with the box label or read it over the serial cable, then trust it (or connect with --accept-new).',
    { ...details, pinned: [] },
  );
}

export interface TrustDeps {
  store: TrustStore;
  audit?: AuditLog;
  /** Full public keys, for known_hosts export. */
  book?: PublicKeyBook;
  /** How the keys a box offers are read without logging in (tests pass a fake). */
  probe?: typeof probeHostKeys;
  /** How a box is made to prove it holds keys before they are pinned (tests pass a fake). */
  prove?: typeof proveHostKeys;
  /** A pinned box showed another key: the inventory marks it "Key changed!" for every front door. */
  onKeyChanged?: (boxId: string) => void;
}

/**
 * Makes the box prove it holds each key: one handshake per key type that runs the key exchange to
 * its end (the server signs the exchange with that key, and ssh2 checks the signature before it
 * asks for the login), then stops at the login with no credential at all: no agent, no key, no
 * password. Reaching the login (AUTH_FAILED) is the proof; anything else refuses the key.
 */
export async function proveHostKeys(host: string, port: number, keys: readonly HostKeyId[], o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  for (const k of keys) {
    const only: HostKeyCheck = {
      pinnedKeyTypes: [],
      interactive: false,
      async verify(_h, _p, blob) {
        const fingerprint = fingerprintOf(blob);
        if (fingerprint === k.fingerprint) return { ok: true, key: { keyType: k.keyType, fingerprint, publicKey: `${keyTypeOf(blob)} ${blob.toString('base64')}` } };
        return {
          ok: false,
          error: refusalOf(
            { kind: 'changed', differs: [{ keyType: keyTypeOf(blob), fingerprint }], added: [] },
            host,
            port,
            [k],
            [{ keyType: keyTypeOf(blob), fingerprint }],
            null,
          ),
        };
      },
    };
    try {
      const s = await connectSsh({
        host,
        port,
        agent: '',
        identityFiles: [],
        trust: only,
        hostKeyAlgorithms: hostKeyAlgorithmsFor(k.keyType),
        signal: o.signal,
        timeoutMs: o.timeoutMs ?? 15_000,
      });
      await s.close();
    } catch (err) {
      if (err instanceof FieldlinkError && err.code === 'AUTH_FAILED') continue;
      if (err instanceof FieldlinkError && (err.code === 'HOST_KEY_CHANGED' || err.code === 'ABORTED' || err.code === 'LINK_DOWN' || err.code === 'TIMEOUT')) throw err;
      throw new FieldlinkError(
        'HOST_KEY_UNKNOWN',
        `${host}:${port} showed ${k.keyType} ${k.fingerprint} but did not prove it holds that key (${(err as Error).message}). Nothing was pinned.`,
        {
          host,
          port,
          offered: [{ keyType: k.keyType, fingerprint: k.fingerprint }],
          pinned: [],
        },
      );
    }
  }
}

/** A box's keys read over its cable, and what became of each address it reported. */
export interface SerialPinResult {
  pins: TrustPin[];
  /** Addresses now pinned for this box. */
  pinned: string[];
  /** Addresses pinned for another box: refused, their pins untouched. */
  conflicts: Array<{ address: string; boxId: string; pins: TrustPin[] }>;
  /** Addresses with pins of no box and other keys: left alone until the technician confirms (replace). */
  unconfirmed: Array<{ address: string; pins: TrustPin[] }>;
}

const SEEN_MAX = 64;
const SEEN_MS = 15 * 60_000;

/**
 * The one trust use case: every front door (the trust.* calls, the CLI, connections) pins, refuses
 * and audits host keys through here, so each rule exists once.
 */
export class Trust {
  readonly store: TrustStore;
  readonly book: PublicKeyBook | undefined;
  readonly #audit: AuditLog | undefined;
  readonly #probe: typeof probeHostKeys;
  readonly #prove: typeof proveHostKeys;
  readonly #onKeyChanged: ((boxId: string) => void) | undefined;
  /** The key each host:port showed in its last handshake refused as unknown: the only key a prompt may pin there. */
  readonly #seen = new Map<string, { key: HostKey; boxId: string | null; at: number }>();

  constructor(deps: TrustDeps) {
    this.store = deps.store;
    this.book = deps.book;
    this.#audit = deps.audit;
    this.#probe = deps.probe ?? probeHostKeys;
    this.#prove = deps.prove ?? proveHostKeys;
    this.#onKeyChanged = deps.onKeyChanged;
  }

  list(): TrustPin[] {
    return this.store.list();
  }

  /**
   * The host-key check for one connection. A first-use key (accept-new, or the technician said yes)
   * is pinned only in confirmed(), once the server proved it holds it and the login completed.
   */
  checkFor(o: { host: string; port: number; boxId?: string | null; mode: TrustMode; ask?: AskTrust }): HostKeyCheck {
    const boxId = o.boxId ?? null;
    const accepted = new Set<string>();
    const store = this.store;
    return {
      get pinnedKeyTypes() {
        return store.forHost(o.host, o.port).map((p) => p.keyType);
      },
      interactive: o.mode === 'ask',
      verify: async (host: string, port: number, blob: Buffer): Promise<HostKeyVerdict> => {
        let offered: HostKey;
        try {
          const keyType = keyTypeOf(blob);
          offered = { keyType, fingerprint: fingerprintOf(blob), publicKey: `${keyType} ${blob.toString('base64')}` };
        } catch (err) {
          return { ok: false, error: err as FieldlinkError };
        }
        const pins = store.forHost(host, port);
        const v = judge(pins, [offered], boxId);
        if (v.kind === 'match') return { ok: true, key: offered };
        if (v.kind === 'unknown') {
          let yes = o.mode === 'accept-new';
          if (o.mode === 'ask' && o.ask) yes = await o.ask(ids([offered]), { host, port }).catch(() => false);
          if (yes) {
            accepted.add(offered.fingerprint);
            return { ok: true, key: offered };
          }
          this.#remember(host, port, offered, boxId);
        }
        return { ok: false, error: this.#refuse(boxId, refusalOf(v, host, port, pins, [offered], boxId)) };
      },
      confirmed: (key: HostKey, where: { host: string; port: number }) => {
        if (!accepted.delete(key.fingerprint)) {
          this.#keep(where.host, where.port, key);
          return;
        }
        // Pins may have appeared while the login ran: decide again on what the table says now.
        const pins = store.forHost(where.host, where.port);
        const v = judge(pins, [key], boxId);
        if (v.kind === 'match') return;
        if (v.kind !== 'unknown') throw this.#refuse(boxId, refusalOf(v, where.host, where.port, pins, [key], boxId));
        this.#commit(where.host, where.port, [key], 'first-use', boxId, 'proved in a completed login');
      },
    };
  }

  /**
   * The trust prompt's answer (the trust.pin call). Only the key Fieldlink itself saw in the last
   * refused handshake for host:port can be pinned there, only where nothing is pinned yet, and
   * "typed" only when the technician typed the matching fingerprint.
   */
  pinFromPrompt(p: { host: string; port: number; keyType: string; fingerprint: string; source: 'first-use' | 'typed'; typed?: string; boxId?: string | null }): TrustPin {
    const fingerprint = normalizeFingerprint(p.fingerprint);
    const key = { keyType: p.keyType, fingerprint };
    const boxId = p.boxId ?? null;
    const where = `${p.host}:${p.port}`;
    if (p.source === 'typed' && !(p.typed && typedMatches(p.typed, fingerprint))) {
      throw this.#refuse(
        boxId,
        new FieldlinkError('BAD_REQUEST', `Pinning ${where} as checked against the label needs the fingerprint you typed, and it must match ${fingerprint}. Nothing was pinned.`, {
          host: p.host,
          port: p.port,
        }),
      );
    }
    const pins = this.store.forHost(p.host, p.port);
    const v = judge(pins, [key], boxId);
    if (v.kind === 'match') {
      const pin = pins.find((x) => x.keyType === key.keyType)!;
      // The technician typed what the first-use pin holds: it is now checked against the label.
      if (p.source === 'typed' && pin.source === 'first-use') return this.#commit(p.host, p.port, [key], 'typed', pin.boxId ?? boxId, 'checked against the label')[0]!;
      return pin;
    }
    if (v.kind !== 'unknown') throw this.#refuse(boxId, refusalOf(v, p.host, p.port, pins, [key], boxId));
    const id = `${p.host}\0${p.port}`;
    const seen = this.#seen.get(id);
    if (!seen || Date.now() - seen.at > SEEN_MS || seen.key.keyType !== key.keyType || seen.key.fingerprint !== fingerprint || (seen.boxId && boxId && seen.boxId !== boxId)) {
      throw this.#refuse(
        boxId,
        new FieldlinkError(
          'HOST_KEY_UNKNOWN',
          `Fieldlink has not just seen ${where} offer ${key.keyType} ${fingerprint}, so it will not pin it: connect to the box again and trust the key it shows.`,
          {
            host: p.host,
            port: p.port,
            offered: seen ? ids([seen.key]) : [],
            pinned: [],
          },
        ),
      );
    }
    this.#seen.delete(id);
    return this.#commit(p.host, p.port, [seen.key], p.source, boxId ?? seen.boxId, p.source === 'typed' ? 'typed in the trust prompt' : 'accepted in the trust prompt')[0]!;
  }

  /**
   * A fingerprint typed or scanned from the box label: pinned only if the box really offers it, and
   * never over a pin with another key.
   */
  async pinTyped(t: { host: string; port?: number; fingerprint: string; boxId?: string | null }, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TrustPin> {
    const port = t.port ?? 22;
    const boxId = t.boxId ?? null;
    const typed = normalizeFingerprint(t.fingerprint);
    const all = await this.#probe(t.host, port, o);
    const offered = all.find((k) => k.fingerprint === typed);
    if (!offered) {
      const shown = listed(all);
      throw this.#refuse(
        boxId,
        new FieldlinkError(
          'HOST_KEY_CHANGED',
          `${t.host}:${port} offers ${shown}, not the fingerprint you entered (${typed}). Nothing was pinned: check the label, or read the key over the serial cable.`,
          {
            host: t.host,
            port,
            offered: all,
            pinned: [],
            typed,
          },
        ),
      );
    }
    const pins = this.store.forHost(t.host, port);
    const v = judge(pins, [offered], boxId);
    if (v.kind !== 'match' && v.kind !== 'unknown') throw this.#refuse(boxId, refusalOf(v, t.host, port, pins, [offered], boxId));
    return this.#commit(t.host, port, [offered], 'typed', boxId ?? pins[0]?.boxId ?? null, 'typed from the label')[0]!;
  }

  /**
   * `fieldlink trust HOST`: the keys the box offers, pinned on first use only where nothing is
   * pinned; any differing or added key type is a change, refused whatever `accept` says.
   */
  async pinFirstUse(
    t: { host: string; port?: number; boxId?: string | null },
    o: { accept: (offered: Array<HostKeyId & { pinned: 'yes' | 'no' }>) => Promise<boolean>; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<{ host: string; port: number; offered: HostKeyId[]; pins: TrustPin[]; pinned: boolean; already: boolean }> {
    const port = t.port ?? 22;
    const boxId = t.boxId ?? null;
    const offered = await this.#probe(t.host, port, { signal: o.signal, timeoutMs: o.timeoutMs });
    const before = this.store.forHost(t.host, port);
    const v = judge(before, offered, boxId);
    if (v.kind === 'match') return { host: t.host, port, offered, pins: before, pinned: false, already: true };
    if (v.kind !== 'unknown') throw this.#refuse(boxId, refusalOf(v, t.host, port, before, offered, boxId));
    if (!(await o.accept(offered.map((k) => ({ ...k, pinned: 'no' as const }))))) return { host: t.host, port, offered, pins: [], pinned: false, already: false };
    // The probe stopped at each key as the box showed it; before pinning, the box signs with each one.
    await this.#prove(t.host, port, offered, { signal: o.signal, timeoutMs: o.timeoutMs });
    // A pin may have arrived while the technician read the listing.
    const now = this.store.forHost(t.host, port);
    if (now.length) throw this.#refuse(boxId, refusalOf(judge(now, offered, boxId) as Exclude<Verdict, { kind: 'match' }>, t.host, port, now, offered, boxId));
    return { host: t.host, port, offered, pins: this.#commit(t.host, port, offered, 'first-use', boxId, 'fieldlink trust'), pinned: true, already: false };
  }

  /**
   * Keys read over the box's own cable (out of band), pinned with source `serial` for the addresses
   * the box reports, but only where nothing is pinned or the pins are this box's: an address pinned
   * for another box is a conflict (refused, untouched); one pinned with other keys for no box waits
   * for the technician to confirm it (`replace`).
   */
  pinOverSerial(r: {
    boxId: string;
    via: string;
    addresses: readonly string[];
    keys: ReadonlyArray<HostKeyId & { publicKey?: string | null }>;
    replace?: readonly string[];
  }): SerialPinResult {
    const out: SerialPinResult = { pins: [], pinned: [], conflicts: [], unconfirmed: [] };
    const fresh = r.keys.map((k) => ({ keyType: k.keyType, fingerprint: k.fingerprint, source: 'serial' as const, boxId: r.boxId }));
    for (const address of r.addresses) {
      const here = this.store.forHost(address, 22);
      const other = here.find((p) => p.boxId && p.boxId !== r.boxId);
      if (other) {
        out.conflicts.push({ address, boxId: other.boxId!, pins: here });
        continue;
      }
      const foreign = here.filter((p) => !p.boxId && !r.keys.some((k) => k.keyType === p.keyType && k.fingerprint === p.fingerprint));
      if (foreign.length && !r.replace?.includes(address)) {
        out.unconfirmed.push({ address, pins: here });
        continue;
      }
      out.pins.push(...this.store.replace(address, 22, fresh));
      for (const k of r.keys) if (k.publicKey) this.#keep(address, 22, { keyType: k.keyType, fingerprint: k.fingerprint, publicKey: k.publicKey });
      out.pinned.push(address);
    }
    if (out.pinned.length || (!out.conflicts.length && !out.unconfirmed.length)) {
      this.#audit?.record({
        boxId: r.boxId,
        action: 'trust.pin',
        outcome: 'ok',
        detail: `read over ${r.via}: ${listed(r.keys)} (serial) for ${out.pinned.join(', ') || 'no address yet'}`,
      });
    }
    for (const c of out.conflicts) {
      this.#audit?.record({
        boxId: r.boxId,
        action: 'trust.refused',
        outcome: 'refused',
        detail: `read over ${r.via}: the box reports ${c.address}, which is pinned for box ${c.boxId}; that pin was kept`,
      });
    }
    for (const u of out.unconfirmed) {
      this.#audit?.record({
        boxId: r.boxId,
        action: 'trust.refused',
        outcome: 'refused',
        detail: `read over ${r.via}: ${u.address} is pinned with other keys (${listed(u.pins)}); not replaced without confirmation`,
      });
    }
    return out;
  }

  /**
   * Imports an OpenSSH known_hosts file (source 'known-hosts'). Hashed lines are matched against
   * `candidates`. A host:port already pinned is never given a different or added key: reported as a
   * conflict instead.
   */
  importKnownHosts(text: string, candidates: Array<{ host: string; port: number }> = []) {
    const imp = importKnownHosts(text, candidates);
    let pinned = 0;
    const conflicts: Array<{ host: string; port: number; keyType: string; pinned: string; file: string }> = [];
    const before = new Map<string, TrustPin[]>();
    for (const k of imp.keys) {
      const id = `${k.host}\0${k.port}`;
      if (!before.has(id)) before.set(id, this.store.forHost(k.host, k.port));
      const pins = before.get(id)!;
      const v = judge(pins, [k], null);
      if (v.kind === 'match') {
        this.#keep(k.host, k.port, k);
        continue;
      }
      if (v.kind !== 'unknown') {
        conflicts.push({ host: k.host, port: k.port, keyType: k.keyType, pinned: pins.find((p) => p.keyType === k.keyType)?.fingerprint ?? 'none', file: k.fingerprint });
        continue;
      }
      this.store.pin({ host: k.host, port: k.port, keyType: k.keyType, fingerprint: k.fingerprint, source: 'known-hosts' });
      this.#keep(k.host, k.port, k);
      pinned++;
    }
    this.#audit?.record({
      action: 'trust.import',
      outcome: conflicts.length ? 'failed' : 'ok',
      detail: `known_hosts: ${pinned} pinned, ${conflicts.length} conflicting, ${imp.hashedUnmatched} hashed unmatched, ${imp.wildcard} wildcard skipped, ${imp.revoked} revoked`,
    });
    return { pinned, conflicts, hashedUnmatched: imp.hashedUnmatched, wildcard: imp.wildcard, revoked: imp.revoked };
  }

  /** The pin table as OpenSSH known_hosts (optionally hashed like `ssh-keygen -H`), for pins whose key Fieldlink has seen. */
  exportKnownHosts(opts: { hash?: boolean } = {}) {
    return exportKnownHosts(this.store.list(), this.book?.all() ?? [], opts);
  }

  /** Pin and audit row: the only place either is written for a pin. */
  #commit(host: string, port: number, keys: ReadonlyArray<HostKeyId & { publicKey?: string | null }>, source: TrustSource, boxId: string | null, how: string): TrustPin[] {
    const pins = keys.map((k) => this.store.pin({ host, port, keyType: k.keyType, fingerprint: k.fingerprint, source, boxId }));
    for (const k of keys) if (k.publicKey) this.#keep(host, port, { keyType: k.keyType, fingerprint: k.fingerprint, publicKey: k.publicKey });
    this.#audit?.record({ boxId, action: 'trust.pin', outcome: 'ok', detail: `${host}:${port} ${listed(keys)} (${source}, ${how})` });
    return pins;
  }

  #refuse(boxId: string | null, err: FieldlinkError): FieldlinkError {
    const d = err.details as { host?: string; port?: number; offered?: HostKeyId[]; pinned?: HostKeyId[] } | undefined;
    this.#audit?.record({
      boxId,
      action: 'trust.refused',
      outcome: 'refused',
      detail: `${d?.host}:${d?.port} ${err.code}: offered ${listed(d?.offered ?? [])}; pinned ${listed(d?.pinned ?? [])}`,
    });
    // A pin exists and the box shows another key: the box it was pinned for is flagged until the
    // technician decides (a typed fingerprint that matches nothing is a typo, not a changed box).
    if (err.code === 'HOST_KEY_CHANGED' && d?.pinned?.length && d.host && d.port) {
      const owner = boxId ?? this.store.forHost(d.host, d.port).find((p) => p.boxId)?.boxId;
      if (owner) {
        try {
          this.#onKeyChanged?.(owner);
        } catch {
          // The refusal stands whatever the inventory says.
        }
      }
    }
    return err;
  }

  #remember(host: string, port: number, key: HostKey, boxId: string | null): void {
    const id = `${host}\0${port}`;
    this.#seen.delete(id);
    this.#seen.set(id, { key, boxId, at: Date.now() });
    while (this.#seen.size > SEEN_MAX) this.#seen.delete(this.#seen.keys().next().value!);
  }

  /** Keeps the full key for known_hosts export: a convenience that never fails a trust decision. */
  #keep(host: string, port: number, key: HostKey): void {
    try {
      this.book?.remember(host, port, key);
    } catch {
      // The pin table stays the authority.
    }
  }
}
