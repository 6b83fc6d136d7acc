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

export const selectBoxList = (s: AppState): Box[] => Object.values(s.boxes);
