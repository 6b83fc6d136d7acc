/** A small usage line (no axes): the shape of the last quarter hour, next to the current figure. */
export function Sparkline({ values, max, label }: { values: Array<number | null>; max: number | null; label: string }) {
  const pts = values.filter((v): v is number => v !== null);
  if (pts.length < 2) return null;
  const top = Math.max(max ?? 0, ...pts) || 1;
  const w = 80;
  const h = 18;
  const step = w / (pts.length - 1);
  const d = pts.map((v, i) => `${(i * step).toFixed(1)},${(h - (v / top) * h).toFixed(1)}`).join(' ');
  return (
    <svg className="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}, last ${pts.length} readings`}>
      <polyline points={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
