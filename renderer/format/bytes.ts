const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Binary units with the familiar names, as Windows Explorer shows sizes: "120 MB", "2 GB" for 2 GiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 10 ? 0 : 1;
  return `${Number(v.toFixed(digits))} ${UNITS[i]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
