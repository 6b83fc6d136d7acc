import type { Box } from '../../../shared/model.ts';

export interface ConsoleTarget {
  /** What console.open receives: ssh://host[:port] or serial:PATH (the CLI's target forms). */
  target: string;
  label: string;
  via: 'ssh' | 'serial' | 'auto';
}

/** The ways to reach a box's shell, the LAN first (faster), then the cable (works when the LAN does not). */
export function targetsFor(box: Pick<Box, 'id' | 'addresses' | 'consolePath'>): ConsoleTarget[] {
  const out: ConsoleTarget[] = [];
  for (const a of box.addresses.slice(0, 4)) {
    const host = a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
    out.push({ target: `ssh://${host}`, label: `Over LAN (${a})`, via: 'ssh' });
  }
  if (box.consolePath) out.push({ target: `serial:${box.consolePath}`, label: `Over cable (${box.consolePath})`, via: 'serial' });
  // A box seen only by id still has a target: the core resolves it from the inventory.
  if (out.length === 0) out.push({ target: box.id, label: 'Best link Fieldlink knows', via: 'auto' });
  return out;
}

/** Checks a hand-typed target before it is sent: the three forms the core understands. */
export function isPlausibleTarget(t: string): boolean {
  const s = t.trim();
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!s || s.length > 500 || /[\s\u0000-\u001f]/.test(s)) return false;
  if (s.startsWith('ssh://')) return /^ssh:\/\/([^@/\s]+@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(s);
  if (s.startsWith('serial:')) return s.length > 'serial:'.length;
  return /^[A-Za-z0-9._:-]+$/.test(s);
}
