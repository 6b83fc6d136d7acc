import os from 'node:os';
import type { Logger } from '../log/index.ts';
import { COLLECTOR_TOKEN, collectorBase, startSync, type LogHandlerDeps } from './handlers.ts';
import { probeCollector } from './probe.ts';

/** How often the laptop's own addresses are looked at: a new network is tried within this. */
const NETWORK_POLL_MS = 2000;

/**
 * The laptop's network as the OS reports it: every address on an interface that is up, other than
 * loopback. It changes when a cable is plugged in or Wi-Fi joins (Node has no "online" event, and
 * the core has no Electron to ask).
 */
export function networkFingerprint(): string {
  return Object.entries(os.networkInterfaces())
    .flatMap(([name, addrs]) => (addrs ?? []).filter((a) => !a.internal).map((a) => `${name}=${a.address}`))
    .sort()
    .join(',');
}

/**
 * Sync without a click: every `everyMs`, and at once when the laptop's network changes (it came back
 * in range), when segments wait, a collector and a token are set and no sync runs, probe the
 * collector (4 s at most) and, when it answers and takes the token, start the same sync job as "Sync
 * now". An unreachable collector only moves the status bar's "Offline since".
 */
export function autoSync(d: LogHandlerDeps & { everyMs: number; log: Logger; network?: { everyMs: number; fingerprint: () => string } }): { stop(): void } {
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
  const attempt = () => {
    if (busy) return;
    busy = true;
    tick()
      .catch((err: unknown) => d.log.warn({ err }, 'background sync could not start'))
      .finally(() => (busy = false));
  };
  const timer = setInterval(attempt, d.everyMs);
  timer.unref();
  const network = d.network ?? { everyMs: NETWORK_POLL_MS, fingerprint: networkFingerprint };
  let seen = network.fingerprint();
  const watch = setInterval(() => {
    const now = network.fingerprint();
    if (now === seen) return;
    seen = now;
    d.log.debug('the laptop network changed; trying the collector now');
    if (now) attempt();
  }, network.everyMs);
  watch.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(watch);
    },
  };
}
