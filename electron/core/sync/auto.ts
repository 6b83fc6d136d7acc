import type { Logger } from '../log/index.ts';
import { COLLECTOR_TOKEN, collectorBase, startSync, type LogHandlerDeps } from './handlers.ts';
import { probeCollector } from './probe.ts';

/**
 * Sync without a click: every `everyMs`, when segments wait, a collector and a token are set and no
 * sync runs, probe the collector (4 s at most) and, when it answers and takes the token, start the
 * same sync job as "Sync now". An unreachable collector only moves the status bar's "Offline since".
 */
export function autoSync(d: LogHandlerDeps & { everyMs: number; log: Logger }): { stop(): void } {
  let busy = false;
  const tick = async () => {
    const url = d.settings.get().collectorUrl;
    const token = d.secrets.get(COLLECTOR_TOKEN);
    if (!url || !token || d.jobs.running().some((j) => j.kind === 'sync')) return;
    if ((await d.store()).usage().waitingSegments === 0) return;
    const probe = await probeCollector(collectorBase(url), token);
    d.collectorSeen(probe.online);
    if (probe.online) await startSync(d);
    else d.log.debug({ why: probe.error }, 'collector not reachable; sync waits');
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch((err: unknown) => d.log.warn({ err }, 'background sync could not start'))
      .finally(() => (busy = false));
  }, d.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
