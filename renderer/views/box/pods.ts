import type { HealthState, HealthView, PodHealth } from '../../../shared/health.ts';
import type { Label } from '../../format/labels.ts';
import { relativeTime } from '../../format/time.ts';

/** What the Box view's pods table sorts by. */
export type PodSortKey = 'trouble' | 'namespace' | 'name' | 'status' | 'restarts' | 'age' | 'node';
export interface PodSort {
  key: PodSortKey;
  desc: boolean;
}
/** The status filter chips: everything, only the pods that need a look, or one status word. */
export type PodStatusFilter = 'all' | 'troubled' | string;

/** Running and ready, or finished well: nothing for the technician to do. */
export function podIsFine(p: PodHealth): boolean {
  if (p.phase === 'Succeeded') return true;
  return p.phase === 'Running' && p.readyContainers === p.totalContainers && !p.containers.some((c) => c.waitingReason);
}

/** How bad a pod is, worst first: failing states, then not ready, then restarting, then fine. */
export function troubleRank(p: PodHealth): number {
  if (/OOMKilled|CrashLoopBackOff|Error|ImagePullBackOff|ErrImagePull|Evicted|Failed/.test(p.status)) return 0;
  if (p.phase === 'Pending' || p.unschedulable) return 1;
  if (!podIsFine(p)) return 2;
  return p.restarts > 0 ? 3 : 4;
}

export function podLabel(p: PodHealth): Label {
  const r = troubleRank(p);
  return { word: p.status || p.phase || 'Unknown', tone: r === 0 ? 'bad' : r <= 2 ? 'warn' : 'ok' };
}

const created = (p: PodHealth) => (p.createdAt ? Date.parse(p.createdAt) || 0 : 0);

const COMPARE: Record<PodSortKey, (a: PodHealth, b: PodHealth) => number> = {
  trouble: (a, b) => troubleRank(a) - troubleRank(b) || b.restarts - a.restarts,
  namespace: (a, b) => a.namespace.localeCompare(b.namespace),
  name: (a, b) => a.name.localeCompare(b.name),
  status: (a, b) => a.status.localeCompare(b.status),
  restarts: (a, b) => a.restarts - b.restarts,
  // Oldest first when ascending, as "age" grows.
  age: (a, b) => created(b) - created(a),
  node: (a, b) => a.node.localeCompare(b.node),
};

/** The pods a technician asked for, in the order asked; the name breaks ties so rows never jump. */
export function shownPods(pods: PodHealth[], q: { namespace: string; status: PodStatusFilter; search: string; sort: PodSort }): PodHealth[] {
  const needle = q.search.trim().toLowerCase();
  const rows = pods.filter(
    (p) =>
      (q.namespace === '' || p.namespace === q.namespace) &&
      (q.status === 'all' || (q.status === 'troubled' ? !podIsFine(p) : p.status === q.status)) &&
      (needle === '' || p.name.toLowerCase().includes(needle) || p.namespace.toLowerCase().includes(needle)),
  );
  const cmp = COMPARE[q.sort.key];
  const dir = q.sort.desc ? -1 : 1;
  return rows.sort((a, b) => dir * cmp(a, b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** The namespaces and status words present, for the filter controls (counted). */
export function podFacets(pods: PodHealth[]): { namespaces: Array<[string, number]>; statuses: Array<[string, number]>; troubled: number } {
  const ns = new Map<string, number>();
  const st = new Map<string, number>();
  let troubled = 0;
  for (const p of pods) {
    ns.set(p.namespace, (ns.get(p.namespace) ?? 0) + 1);
    st.set(p.status, (st.get(p.status) ?? 0) + 1);
    if (!podIsFine(p)) troubled++;
  }
  const byName = (a: [string, number], b: [string, number]) => a[0].localeCompare(b[0]);
  return { namespaces: [...ns].sort(byName), statuses: [...st].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])), troubled };
}

/** "3d", "5h", "12m", "40s": kubectl's AGE column. */
export function age(iso: string | null, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** The Box header's connection words for the health model's state. */
export function healthBanner(v: Pick<HealthView, 'state' | 'lastGoodAt' | 'snapshot'>, now = Date.now()): Label & { detail: string } {
  const via = v.snapshot?.link === 'serial' ? 'cable' : 'LAN';
  const since = relativeTime(v.lastGoodAt, now);
  const words: Record<HealthState, Label & { detail: string }> = {
    live: { word: `Live over ${via}`, tone: 'ok', detail: via === 'cable' ? 'read with k3s kubectl over the console every minute' : 'watching its k3s API' },
    stale: { word: `Link lost: data from ${since}`, tone: 'warn', detail: 'reconnecting by itself' },
    snapshot: { word: `Offline: snapshot from ${since}`, tone: 'neutral', detail: 'the last health Fieldlink saw' },
    connecting: { word: 'Connecting…', tone: 'info', detail: "reaching the box's k3s API" },
    none: { word: 'No health data', tone: 'neutral', detail: 'not reached yet' },
  };
  return words[v.state] ?? words.none;
}
