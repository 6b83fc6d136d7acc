import type { DatabaseSync } from 'node:sqlite';
import type { Box, BoxState, HealthWord, Reach, SightingSource, TrustLevel } from '../../../shared/model.ts';
import { transaction } from './database.ts';

/** What one sighting says about a box. Fields left out are left as they were. */
export interface SightingInput {
  boxId: string;
  source: SightingSource;
  address?: string | null;
  /** LAN addresses the box reported itself (e.g. asked over its serial console). */
  addresses?: string[];
  hostname?: string;
  serial?: string | null;
  model?: string | null;
  vendor?: string | null;
  arch?: string | null;
  consolePath?: string | null;
  state?: BoxState;
  k3sVersion?: string | null;
  facts?: Record<string, string>;
  at?: string;
}

interface BoxRow {
  id: string;
  hostname: string;
  serial: string | null;
  model: string | null;
  vendor: string | null;
  arch: string | null;
  addresses: string;
  console_path: string | null;
  state: string;
  health: string;
  k3s_version: string | null;
  first_seen: string;
  last_seen: string;
  key_changed_at: string | null;
  trust_source: string | null;
  conflict: string | null;
  lan_seen: number;
  cable_seen: number;
}

/** A sighting older than this no longer counts as "reachable now". */
const REACH_WINDOW_MS = 10 * 60 * 1000;

/** The id prefix of a box seen only on a cable, before any login said who it is. */
export const CABLE_ONLY = 'cable:';

const TRUST_RANK = `CASE source WHEN 'serial' THEN 1 WHEN 'typed' THEN 2 WHEN 'known-hosts' THEN 2 ELSE 3 END`;

export class Inventory {
  readonly #db: DatabaseSync;
  readonly #onChange: (box: Box) => void;
  readonly #onRemove: (id: string) => void;
  /** `onChange` hears of every box that was added or changed (the app turns it into `box.changed`), `onRemove` of one merged away. */
  constructor(db: DatabaseSync, onChange: (box: Box) => void = () => {}, onRemove: (id: string) => void = () => {}) {
    this.#db = db;
    this.#onChange = onChange;
    this.#onRemove = onRemove;
  }

  /** Records a sighting and merges what it says into the box, creating the box if it is new. */
  recordSighting(s: SightingInput): Box {
    const at = s.at ?? new Date().toISOString();
    const removed: string[] = [];
    transaction(this.#db, () => {
      const existing = this.#db.prepare('SELECT addresses FROM boxes WHERE id = ?').get(s.boxId) as { addresses: string } | undefined;
      const addresses = new Set<string>(existing ? (JSON.parse(existing.addresses) as string[]) : []);
      if (s.address && s.source !== 'serial') addresses.add(s.address);
      for (const a of s.addresses ?? []) addresses.add(a);
      // One upsert: a new box takes what this sighting says (with defaults), a known one keeps every
      // fact this sighting does not mention.
      this.#db
        .prepare(
          `INSERT INTO boxes (id, hostname, serial, model, vendor, arch, addresses, console_path, state, k3s_version, first_seen, last_seen)
           VALUES (:id, COALESCE(:hostname, :address, :id), :serial, :model, :vendor, :arch, :addresses, :console, COALESCE(:state, 'unknown'), :k3s, :at, :at)
           ON CONFLICT (id) DO UPDATE SET
             hostname = COALESCE(:hostname, hostname), serial = COALESCE(:serial, serial), model = COALESCE(:model, model),
             vendor = COALESCE(:vendor, vendor), arch = COALESCE(:arch, arch), addresses = :addresses,
             console_path = COALESCE(:console, console_path), state = COALESCE(:state, state),
             k3s_version = COALESCE(:k3s, k3s_version), last_seen = MAX(last_seen, :at)`,
        )
        .run({
          id: s.boxId,
          hostname: s.hostname ?? null,
          address: s.address ?? null,
          serial: s.serial ?? null,
          model: s.model ?? null,
          vendor: s.vendor ?? null,
          arch: s.arch ?? null,
          addresses: JSON.stringify([...addresses]),
          console: s.consolePath ?? (s.source === 'serial' ? (s.address ?? null) : null),
          state: s.state ?? null,
          k3s: s.k3sVersion ?? null,
          at,
        });
      // The latest of each kind of sighting, with when it was first seen.
      const seen = this.#db
        .prepare('UPDATE sightings SET at = MAX(at, ?), facts = ? WHERE box_id = ? AND source = ? AND address IS ?')
        .run(at, JSON.stringify(s.facts ?? {}), s.boxId, s.source, s.address ?? null);
      if (seen.changes === 0) {
        this.#db
          .prepare('INSERT INTO sightings (box_id, source, address, at, first_at, facts) VALUES (?, ?, ?, ?, ?, ?)')
          .run(s.boxId, s.source, s.address ?? null, at, at, JSON.stringify(s.facts ?? {}));
      }
      // A cable-only box (known by its port until someone logged in) is this box: it goes.
      const console = s.consolePath ?? (s.source === 'serial' ? s.address : null);
      if (console && !s.boxId.startsWith(CABLE_ONLY)) {
        for (const r of this.#db.prepare('SELECT id FROM boxes WHERE console_path = ? AND id LIKE ?').all(console, `${CABLE_ONLY}%`) as Array<{ id: string }>) {
          this.#db.prepare('DELETE FROM boxes WHERE id = ?').run(r.id);
          removed.push(r.id);
        }
      }
    });
    for (const id of removed) this.#onRemove(id);
    return this.#changed(s.boxId)!;
  }

  setHealth(boxId: string, health: HealthWord): void {
    this.#db.prepare('UPDATE boxes SET health = ? WHERE id = ?').run(health, boxId);
    this.#changed(boxId);
  }

  /**
   * The box is gone from one way of reaching it: it stopped announcing itself on the LAN (goodbye or
   * expiry), or its serial cable was pulled. Sightings of that kind before now no longer count.
   */
  markGone(boxId: string, via: 'lan' | 'cable', at = new Date().toISOString()): void {
    this.#db.prepare(`UPDATE boxes SET ${via === 'lan' ? 'lan_gone_at' : 'cable_gone_at'} = ? WHERE id = ?`).run(at, boxId);
    this.#changed(boxId);
  }

  /**
   * Two records turned out to be one box (a box known by its host key, then by the serial number or
   * machine-id it reported): `from`'s sightings, addresses and pins move to `into`, and `from` goes.
   * Only the merge rules call this: serial number, then machine-id, then host key; never a name.
   */
  mergeInto(from: string, into: string): Box | undefined {
    if (from === into || !this.get(from) || !this.get(into)) return this.get(into);
    transaction(this.#db, () => {
      const rows = this.#db.prepare('SELECT id, addresses, first_seen FROM boxes WHERE id IN (?, ?)').all(from, into) as Array<{
        id: string;
        addresses: string;
        first_seen: string;
      }>;
      const addresses = [...new Set(rows.flatMap((r) => JSON.parse(r.addresses) as string[]))];
      const firstSeen = rows.map((r) => r.first_seen).sort()[0]!;
      this.#db.prepare('UPDATE boxes SET addresses = ?, first_seen = ? WHERE id = ?').run(JSON.stringify(addresses), firstSeen, into);
      this.#db.prepare('UPDATE sightings SET box_id = ? WHERE box_id = ?').run(into, from);
      this.#db.prepare('DELETE FROM sightings WHERE box_id = ? AND id NOT IN (SELECT MAX(id) FROM sightings WHERE box_id = ? GROUP BY source, address)').run(into, into);
      this.#db.prepare('UPDATE trust_pins SET box_id = ? WHERE box_id = ?').run(into, from);
      this.#db.prepare('DELETE FROM boxes WHERE id = ?').run(from);
    });
    this.#onRemove(from);
    return this.#changed(into);
  }

  /** A provisioning run took the box to the profile: its new name, its k3s, and the state the Fleet shows. */
  markProvisioned(boxId: string, p: { hostname: string | null; k3sVersion: string; arch: string | null }): void {
    this.#db
      .prepare("UPDATE boxes SET state = 'provisioned', k3s_version = ?, hostname = COALESCE(?, hostname), arch = COALESCE(?, arch) WHERE id = ?")
      .run(p.k3sVersion, p.hostname, p.arch, boxId);
    this.#changed(boxId);
  }

  /** Flags (or, with null, clears) a disagreement between sightings, shown with the box. */
  setConflict(boxId: string, conflict: string | null): void {
    this.#db.prepare('UPDATE boxes SET conflict = ? WHERE id = ?').run(conflict?.slice(0, 500) ?? null, boxId);
    this.#changed(boxId);
  }

  /** Marks that the box showed a host key other than its pin; cleared when a new key is pinned. */
  markKeyChanged(boxId: string, changed: boolean): void {
    this.#db.prepare('UPDATE boxes SET key_changed_at = ? WHERE id = ?').run(changed ? new Date().toISOString() : null, boxId);
    this.#changed(boxId);
  }

  #changed(boxId: string): Box | undefined {
    const box = this.get(boxId);
    if (box) this.#onChange(box);
    return box;
  }

  get(id: string): Box | undefined {
    return this.#one('WHERE b.id = :target', id);
  }

  /** Finds a box by id, hostname, serial number or one of its addresses. */
  find(target: string): Box | undefined {
    return this.#one(
      `WHERE b.id = :target OR b.hostname = :target OR b.serial = :target
         OR EXISTS (SELECT 1 FROM json_each(b.addresses) WHERE value = :target)
       ORDER BY b.last_seen DESC LIMIT 1`,
      target,
    );
  }

  list(): Box[] {
    const rows = this.#db.prepare(`${SELECT_BOX} ORDER BY b.hostname`).all({ since: reachSince() });
    return (rows as unknown as BoxRow[]).map(toBox);
  }

  #one(where: string, target: string): Box | undefined {
    const row = this.#db.prepare(`${SELECT_BOX} ${where}`).get({ target, since: reachSince() });
    return row ? toBox(row as unknown as BoxRow) : undefined;
  }
}

/** A box row with its trust (strongest pin) and reach (recent sightings by kind) derived, not stored. */
const SELECT_BOX = `SELECT b.*,
    (SELECT source FROM trust_pins p WHERE p.box_id = b.id ORDER BY ${TRUST_RANK} LIMIT 1) AS trust_source,
    EXISTS (SELECT 1 FROM sightings s WHERE s.box_id = b.id AND s.source != 'serial' AND s.at >= :since AND (b.lan_gone_at IS NULL OR s.at > b.lan_gone_at)) AS lan_seen,
    EXISTS (SELECT 1 FROM sightings s WHERE s.box_id = b.id AND s.source = 'serial' AND s.at >= :since AND (b.cable_gone_at IS NULL OR s.at > b.cable_gone_at)) AS cable_seen
  FROM boxes b`;

function reachSince(): string {
  return new Date(Date.now() - REACH_WINDOW_MS).toISOString();
}

function toBox(r: BoxRow): Box {
  return {
    id: r.id,
    hostname: r.hostname,
    serial: r.serial,
    model: r.model,
    vendor: r.vendor,
    arch: r.arch,
    addresses: JSON.parse(r.addresses) as string[],
    consolePath: r.console_path,
    reach: reachOf(Boolean(r.lan_seen), Boolean(r.cable_seen)),
    state: r.state as BoxState,
    trust: trustOf(r.key_changed_at, r.trust_source),
    health: r.health as HealthWord,
    k3sVersion: r.k3s_version,
    conflict: r.conflict,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  };
}

function reachOf(lan: boolean, cable: boolean): Reach {
  if (lan && cable) return 'both';
  if (lan) return 'lan';
  if (cable) return 'cable';
  return 'none';
}

function trustOf(keyChangedAt: string | null, source: string | null): TrustLevel {
  if (keyChangedAt) return 'changed';
  switch (source) {
    case 'serial':
      return 'cable';
    case 'typed':
    case 'known-hosts':
      return 'typed';
    case 'first-use':
      return 'first-use';
    default:
      return 'unknown';
  }
}
