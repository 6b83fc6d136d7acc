import type { Box } from '../../shared/model.ts';
import { needsAttention } from '../format/labels.ts';
import type { AppState } from './types.ts';

export interface FleetCounts {
  total: number;
  healthy: number;
  attention: number;
  fresh: number;
}

export function fleetCounts(boxes: Iterable<Box>): FleetCounts {
  const c: FleetCounts = { total: 0, healthy: 0, attention: 0, fresh: 0 };
  for (const b of boxes) {
    c.total++;
    if (needsAttention(b)) c.attention++;
    else if (b.state === 'new') c.fresh++;
    else if (b.health === 'healthy') c.healthy++;
  }
  return c;
}

/** "12 boxes: 9 healthy, 2 need attention, 1 new" — parts that are zero are left out. */
export function countsSentence(c: FleetCounts): string {
  const head = `${c.total} ${c.total === 1 ? 'box' : 'boxes'}`;
  const parts: string[] = [];
  if (c.healthy) parts.push(`${c.healthy} healthy`);
  if (c.attention) parts.push(`${c.attention} ${c.attention === 1 ? 'needs' : 'need'} attention`);
  if (c.fresh) parts.push(`${c.fresh} new`);
  const rest = c.total - c.healthy - c.attention - c.fresh;
  if (rest && parts.length) parts.push(`${rest} not checked`);
  return parts.length ? `${head}: ${parts.join(', ')}` : head;
}

/** Case-insensitive match on everything a technician might type: name, serial, model, address, id. */
export function matchesQuery(b: Box, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const hay = [b.hostname, b.serial, b.model, b.vendor, b.id, b.k3sVersion, ...b.addresses];
  return q.split(/\s+/).every((word) => hay.some((h) => h !== null && h.toLowerCase().includes(word)));
}

// One collator each, made once: localeCompare with options builds a collator per call, which was
// most of the Fleet's first render at 5,000 boxes.
const NAMES = new Intl.Collator(undefined, { numeric: true });
const ORDINAL = new Intl.Collator();

/** Worst first, then by name: the boxes that need the technician float to the top. */
export function sortForFleet(list: Box[]): Box[] {
  const rank = (b: Box) => (b.trust === 'changed' ? 0 : needsAttention(b) ? 1 : b.state === 'new' ? 2 : 3);
  return [...list].sort((a, b) => rank(a) - rank(b) || NAMES.compare(a.hostname, b.hostname) || ORDINAL.compare(a.id, b.id));
}

/** The Fleet's quick filters, as the technician asks: what needs me, what is new, what is on a cable. */
export const FLEET_FILTERS = ['all', 'attention', 'new', 'provisioned', 'cable', 'unreachable'] as const;
export type FleetFilter = (typeof FLEET_FILTERS)[number];

export function matchesFilter(b: Box, f: FleetFilter): boolean {
  switch (f) {
    case 'all':
      return true;
    case 'attention':
      return needsAttention(b);
    case 'new':
      return b.state === 'new';
    case 'provisioned':
      return b.state === 'provisioned';
    case 'cable':
      return b.reach === 'cable' || b.reach === 'both';
    case 'unreachable':
      return b.reach === 'none' || b.state === 'unreachable';
  }
}

/** Columns the Fleet sorts by when their header is pressed; 'worst' is the default order above. */
export type FleetSortKey = 'worst' | 'hostname' | 'serial' | 'address' | 'reach' | 'state' | 'trust' | 'lastSeen';
export interface FleetSort {
  key: FleetSortKey;
  desc: boolean;
}

const ADDRESS = (b: Box) => b.addresses[0] ?? b.consolePath ?? '';
const BY: Record<Exclude<FleetSortKey, 'worst'>, (a: Box, b: Box) => number> = {
  hostname: (a, b) => NAMES.compare(a.hostname, b.hostname),
  serial: (a, b) => NAMES.compare(a.serial ?? '', b.serial ?? ''),
  // 10.0.0.9 before 10.0.0.10: the numeric collator compares the numbers in the text as numbers.
  address: (a, b) => NAMES.compare(ADDRESS(a), ADDRESS(b)),
  reach: (a, b) => ORDINAL.compare(a.reach, b.reach),
  state: (a, b) => ORDINAL.compare(a.state, b.state),
  trust: (a, b) => ORDINAL.compare(a.trust, b.trust),
  lastSeen: (a, b) => ORDINAL.compare(a.lastSeen, b.lastSeen),
};

/** The Fleet in the order asked for; ties fall back to the worst-first order, so the list never jumps. */
export function sortFleet(list: Box[], sort: FleetSort): Box[] {
  const base = sortForFleet(list);
  if (sort.key === 'worst') return sort.desc ? base.reverse() : base;
  const cmp = BY[sort.key];
  const index = new Map(base.map((b, i) => [b.id, i]));
  return base.sort((a, b) => (sort.desc ? cmp(b, a) : cmp(a, b)) || index.get(a.id)! - index.get(b.id)!);
}

export const selectBoxList = (s: AppState): Box[] => Object.values(s.boxes);
