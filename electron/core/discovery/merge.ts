import type { Box } from '../../../shared/model.ts';
import type { Inventory, TrustStore } from '../db/index.ts';
import type { SweptHost } from './sweep.ts';

export interface SweepMergeDeps {
  inventory: Pick<Inventory, 'get' | 'find' | 'recordSighting' | 'markKeyChanged'>;
  trust: Pick<TrustStore, 'forHost' | 'list'>;
}

type Key = { keyType: string; fingerprint: string };

/** What one swept host became. */
export type SweepOutcome =
  | { kind: 'box'; address: string; box: Box; matched: 'pin' | 'key' | 'address' | 'new' }
  /** The address is pinned to other keys: flagged on its box ("Key changed!"), never merged. */
  | { kind: 'key-changed'; address: string; boxId: string | null; pinned: Key[]; offered: Key[] }
  /** Open ports but no host key to know it by (not SSH, or the probe failed): reported, not added. */
  | { kind: 'unidentified'; address: string; reason: string };

/** The box id a host is known by when nothing better (a serial number) is known: its first host key. */
export const keyBoxId = (fingerprint: string): string => `key:${fingerprint}`;

/**
 * Turns a swept host into a sighting of one box. The box is the one its pin names, else the one
 * that already holds one of its host keys (by id or by a pin at another address: it moved), else the
 * known box at its address (e.g. announced over mDNS with its serial), else a new box known by its
 * host key. An address whose pins do not match what it offers now is a conflict: the pinned box is
 * marked key-changed and nothing of this sighting is merged into it.
 */
export function recordSwept(deps: SweepMergeDeps, h: SweptHost, at?: string): SweepOutcome {
  const { inventory, trust } = deps;
  const offered = h.hostKeys;
  if (offered.length === 0) return { kind: 'unidentified', address: h.address, reason: h.probeError ?? `only port ${h.open.join(', ')} is open (no SSH host key to know it by)` };

  let boxId: string | undefined;
  let matched: 'pin' | 'key' | 'address' | 'new' = 'new';
  const pins = trust.forHost(h.address, 22);
  if (pins.length) {
    // Compare the key types that were pinned: a box offering one more type than was pinned is not a swap.
    const comparable = offered.filter((k) => pins.some((p) => p.keyType === k.keyType));
    const differs = comparable.length === 0 || comparable.some((k) => pins.find((p) => p.keyType === k.keyType)!.fingerprint !== k.fingerprint);
    const owner = pins.find((p) => p.boxId && inventory.get(p.boxId))?.boxId ?? inventory.find(h.address)?.id ?? null;
    if (differs) {
      if (owner) inventory.markKeyChanged(owner, true);
      return { kind: 'key-changed', address: h.address, boxId: owner, pinned: pins.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint })), offered };
    }
    if (owner) [boxId, matched] = [owner, 'pin'];
  }
  if (!boxId) {
    const fps = new Set(offered.map((k) => k.fingerprint));
    const byId = offered.map((k) => inventory.get(keyBoxId(k.fingerprint))).find(Boolean);
    const byPin = byId ? undefined : trust.list().find((p) => p.boxId && fps.has(p.fingerprint) && inventory.get(p.boxId));
    const id = byId?.id ?? byPin?.boxId ?? undefined;
    if (id) [boxId, matched] = [id, 'key'];
  }
  if (!boxId) {
    const atAddress = inventory.find(h.address);
    // A box known only by another host key that now answers here is another box, not this one.
    if (atAddress && atAddress.addresses.includes(h.address) && !(atAddress.id.startsWith('key:') && !offered.some((k) => keyBoxId(k.fingerprint) === atAddress.id))) {
      [boxId, matched] = [atAddress.id, 'address'];
    }
  }
  boxId ??= keyBoxId(offered[0]!.fingerprint);
  const facts: Record<string, string> = { ports: h.open.join(','), hostKeys: offered.map((k) => `${k.keyType} ${k.fingerprint}`).join(', ') };
  if (h.banner) facts.banner = h.banner;
  if (h.open.includes(6443)) facts.kubeApi = 'open';
  const box = inventory.recordSighting({ boxId, source: 'sweep', address: h.address, facts, at });
  return { kind: 'box', address: h.address, box, matched };
}
