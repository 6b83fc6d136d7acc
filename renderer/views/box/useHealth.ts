import { useEffect, useRef, useState } from 'react';
import type { HealthView } from '../../../shared/health.ts';
import { explain, type Explained } from '../../errors.ts';
import { useApp } from '../../stores/index.ts';

/** Usage points kept per node for the sparklines (about the last quarter hour at one point per metrics poll). */
const HISTORY = 60;

export interface UsagePoint {
  at: number;
  cpuMilli: number | null;
  memoryBytes: number | null;
}

/**
 * Watches a box's health while the Box view is open: the core's live model (or its kept snapshot)
 * and every health.changed for this box; the watch ends when the view closes. Usage history for the
 * sparklines is kept here, per node, as the updates come.
 */
export function useHealth(boxId: string): { view: HealthView | null; error: Explained | null; usage: Map<string, UsagePoint[]>; retry: () => void } {
  const client = useApp((s) => s.client);
  const [view, setView] = useState<HealthView | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  const [attempt, setAttempt] = useState(0);
  const usage = useRef(new Map<string, UsagePoint[]>());

  useEffect(() => {
    let live = true;
    usage.current = new Map();
    const take = (v: HealthView) => {
      if (!live || v.boxId !== boxId) return;
      record(usage.current, v);
      setView(v);
    };
    const off = client.on('health.changed', take);
    setError(null);
    client.call('health.watch', { boxId }).then(take, (err: unknown) => live && setError(explain(err)));
    return () => {
      live = false;
      off();
      client.call('health.unwatch', { boxId }).catch(() => undefined);
    };
  }, [client, boxId, attempt]);

  return { view, error, usage: usage.current, retry: () => setAttempt((a) => a + 1) };
}

function record(history: Map<string, UsagePoint[]>, v: HealthView): void {
  const snap = v.snapshot;
  if (!snap?.metrics || v.state !== 'live') return;
  const at = Date.parse(snap.takenAt) || Date.now();
  for (const n of snap.nodes) {
    if (!n.usage) continue;
    const points = history.get(n.name) ?? [];
    // One point per metrics reading: pod updates between polls repeat the same usage.
    const last = points[points.length - 1];
    if (last && last.cpuMilli === n.usage.cpuMilli && last.memoryBytes === n.usage.memoryBytes) continue;
    points.push({ at, cpuMilli: n.usage.cpuMilli, memoryBytes: n.usage.memoryBytes });
    if (points.length > HISTORY) points.shift();
    history.set(n.name, points);
  }
}
