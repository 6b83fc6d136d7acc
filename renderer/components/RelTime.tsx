import { useEffect, useState } from 'react';
import { absoluteTime, relativeTime } from '../format/time.ts';

/** One shared clock for every relative time on screen, so "2 min ago" stays true without a timer per row. */
const listeners = new Set<() => void>();
let ticker: ReturnType<typeof setInterval> | null = null;
function subscribeTick(fn: () => void): () => void {
  listeners.add(fn);
  ticker ??= setInterval(() => listeners.forEach((l) => l()), 30_000);
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  };
}

export function RelTime({ iso }: { iso: string | null | undefined }) {
  const [, setTick] = useState(0);
  useEffect(() => subscribeTick(() => setTick((t) => t + 1)), []);
  return (
    <time dateTime={iso ?? undefined} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
}
