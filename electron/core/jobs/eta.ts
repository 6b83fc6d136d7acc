/** Until this much time has passed and this share is done, a rate says little: no estimate yet. */
const SETTLE_MS = 3000;
const SETTLE_SHARE = 0.02;

/**
 * "about 2 min left" for work measured in bytes: the rate since the work began (a link cut for a
 * while lowers it, as it should), rounded to what a technician plans with; null while too early.
 */
export function etaText(done: number, total: number, elapsedMs: number): string | null {
  if (!(total > 0) || done <= 0 || done >= total) return null;
  if (elapsedMs < SETTLE_MS || done / total < SETTLE_SHARE) return null;
  const leftS = ((total - done) / done) * (elapsedMs / 1000);
  if (leftS < 45) return 'less than a minute left';
  if (leftS < 90 * 60) return `about ${Math.round(leftS / 60)} min left`;
  return `about ${(leftS / 3600).toFixed(1).replace(/\.0$/, '')} h left`;
}

/** Sizes as a technician reads them: 3.2 of 40.0 MiB. */
export function mibOf(done: number, total: number): string {
  const mib = (n: number) => (n / 1048576).toFixed(1);
  return `${mib(done)} of ${mib(total)} MiB`;
}
