import { createHash } from 'node:crypto';

/** A stable 32-bit number from any string: names, uids and log lines come out the same each run. */
export function hash32(s: string): number {
  return createHash('sha1').update(s).digest().readUInt32BE(0);
}

/** Mulberry32: small, fast, good enough for a simulation, and seedable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

/** The suffix alphabet Kubernetes uses for generated names (no vowels, no confusable digits). */
export function suffix(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rnd() * ALNUM.length)];
  return s;
}

export function uid(rnd: () => number): string {
  const hex = () =>
    Math.floor(rnd() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-a${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

export function isoSec(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
