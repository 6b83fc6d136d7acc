import type { TrustPin, TrustSource } from '../../../shared/model.ts';
import { asFieldlinkError } from '../../errors.ts';

export interface OfferedKey {
  keyType: string;
  fingerprint: string;
}
export interface PinnedKey extends OfferedKey {
  source: TrustSource | 'other';
  pinnedAt: string | null;
}
export interface TrustProblem {
  kind: 'unknown' | 'changed';
  host: string;
  port: number;
  offered: OfferedKey[];
  pinned: PinnedKey[];
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const SOURCES: readonly string[] = ['serial', 'typed', 'first-use', 'known-hosts'];
const MAX_KEYS = 8;

/**
 * Reads the trust prompt out of a console.open failure. The details pass through the core but
 * describe what a box offered, so every field is checked and bounded; a prompt with nothing valid
 * to show is no prompt (the error is shown as a plain error instead).
 */
export function trustProblemOf(err: unknown): TrustProblem | null {
  const e = asFieldlinkError(err);
  if (e.code !== 'HOST_KEY_UNKNOWN' && e.code !== 'HOST_KEY_CHANGED') return null;
  const d = e.details ?? {};
  const host = typeof d.host === 'string' ? d.host.slice(0, 255) : '';
  const port = typeof d.port === 'number' && Number.isInteger(d.port) && d.port > 0 && d.port < 65536 ? d.port : 22;
  const offered = keysOf(d.offered).map(({ keyType, fingerprint }) => ({ keyType, fingerprint }));
  const pinned = keysOf(d.pinned).map((k) => ({
    keyType: k.keyType,
    fingerprint: k.fingerprint,
    source: (SOURCES.includes(String(k.raw.source)) ? k.raw.source : 'other') as PinnedKey['source'],
    pinnedAt: typeof k.raw.pinnedAt === 'string' && Number.isFinite(Date.parse(k.raw.pinnedAt)) ? k.raw.pinnedAt : null,
  }));
  if (!host || offered.length === 0) return null;
  return { kind: e.code === 'HOST_KEY_UNKNOWN' ? 'unknown' : 'changed', host, port, offered, pinned };
}

function keysOf(v: unknown): (OfferedKey & { raw: Record<string, unknown> })[] {
  if (!Array.isArray(v)) return [];
  const out: (OfferedKey & { raw: Record<string, unknown> })[] = [];
  for (const item of v.slice(0, MAX_KEYS)) {
    if (typeof item !== 'object' || item === null) continue;
    const raw = item as Record<string, unknown>;
    if (typeof raw.keyType !== 'string' || !/^[A-Za-z0-9@._-]{1,64}$/.test(raw.keyType)) continue;
    if (typeof raw.fingerprint !== 'string' || !FINGERPRINT.test(raw.fingerprint)) continue;
    out.push({ keyType: raw.keyType, fingerprint: raw.fingerprint, raw });
  }
  return out;
}

/** Where a pin came from, as the prompt says it. */
export function pinSourceText(source: PinnedKey['source']): string {
  switch (source) {
    case 'serial':
      return 'read over the serial cable';
    case 'typed':
      return 'typed in or scanned from the box label';
    case 'first-use':
      return 'accepted on first use over the LAN';
    case 'known-hosts':
      return 'imported from an OpenSSH known_hosts file';
    default:
      return 'from an unknown source';
  }
}

/**
 * The technician's copy of the fingerprint (from the label, a chat, a printout) against the one the
 * box offers: spaces, a missing "SHA256:" and trailing "=" do not matter; every other character does.
 */
export function sameFingerprint(typed: string, offered: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/\s+/g, '')
      .replace(/^SHA256:/i, '')
      .replace(/=+$/, '');
  const t = norm(typed);
  return t.length >= 43 && t === norm(offered);
}

/**
 * The core's refusal names the pinned keys; where each came from (cable, label, first use) and when
 * are in the trust table. Matching by host, port, type and fingerprint fills that in for the prompt.
 */
export function withPinSources(problem: TrustProblem, pins: readonly TrustPin[]): TrustProblem {
  const here = pins.filter((p) => p.host === problem.host && p.port === problem.port);
  if (here.length === 0) return problem;
  const known = problem.pinned.length > 0 ? problem.pinned : here.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint, source: 'other' as const, pinnedAt: null }));
  return {
    ...problem,
    pinned: known.map((k) => {
      const pin = here.find((p) => p.keyType === k.keyType && p.fingerprint === k.fingerprint);
      return pin ? { ...k, source: pin.source, pinnedAt: pin.pinnedAt } : k;
    }),
  };
}
