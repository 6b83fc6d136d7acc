import path from 'node:path';
import fs from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import type { AppInfo, Settings, Status } from '../../shared/model.ts';
import { resolveDataDir } from './config/index.ts';
// A JSON import, not a file read at run time: it survives bundling into the Electron main process.
import pkg from '../../package.json' with { type: 'json' };
import { AuditLog, Inventory, Outbox, SettingsStore, TrustStore, openDatabase } from './db/index.ts';
import { EventBus } from './events/index.ts';
import { JobRegistry } from './jobs/index.ts';
import { createLogger, type Logger } from './log/index.ts';
import { createDispatch, type Dispatch, type HandlersOf } from './rpc/index.ts';
import { SecretStore, keyFileSealer, type Sealer } from './secrets/index.ts';
import { Connections } from './connections/index.ts';
import { ConsoleSessions, consoleHandlers } from './console/index.ts';
import { boxHandlers, identifyBox } from './boxes/index.ts';
import { Discovery, discoveryHandlers } from './discovery/index.ts';
import { jobHandlers } from './jobs/index.ts';
import { PublicKeyBook, Trust, trustHandlers } from './trust/index.ts';
import { credentialHandlers } from './credentials/index.ts';
import { HealthWatchers, SnapshotStore, healthHandlers } from './health/index.ts';
import { SegmentStore } from './logs/index.ts';
import { autoSync, logHandlers } from './sync/index.ts';
import { provisionDeps, provisionHandlers } from './provision/index.ts';

export interface AppOptions {
  dataDir?: string;
  host: AppInfo['host'];
  logger?: Logger;
  /** How secrets are sealed at rest: the Electron shell passes safeStorage; others use a 0600 key file. */
  sealer?: Sealer;
  /** How often the app tries the collector when logs wait (default 30 s; 0 = never, as the CLI does). */
  autoSyncMs?: number;
}

/**
 * The composition root: one App per process, whichever front door opened it (Electron, browser
 * host, CLI, tests). It owns the database and the services built on it.
 */
export interface App {
  readonly dataDir: string;
  readonly db: DatabaseSync;
  readonly bus: EventBus;
  readonly log: Logger;
  readonly jobs: JobRegistry;
  readonly inventory: Inventory;
  readonly trust: TrustStore;
  /** The one trust use case: pins, refusals and their audit rows, for every front door. */
  readonly hostTrust: Trust;
  readonly audit: AuditLog;
  readonly outbox: Outbox;
  readonly settings: SettingsStore;
  readonly secrets: SecretStore;
  /** Turns targets into live shells and terminals (pooled SSH, serial consoles). */
  readonly connections: Connections;
  readonly consoles: ConsoleSessions;
  /** Passive mDNS discovery into the inventory; started on request only. */
  readonly discovery: Discovery;
  /** Live health of the boxes being looked at, and the last snapshot of every box kept on disk. */
  readonly health: HealthWatchers;
  readonly healthSnapshots: SnapshotStore;
  readonly dispatch: Dispatch;
  info(): AppInfo;
  status(): Status;
  updateSettings(patch: Partial<Settings>): Settings;
  close(): Promise<void>;
}

/** What a front door that only carries calls and events needs of the core (the IPC bridge, the browser host). */
export type CoreDoor = Pick<App, 'dispatch' | 'bus' | 'log'>;

export const VERSION: string = pkg.version;

export function createApp(opts: AppOptions): App {
  const dataDir = resolveDataDir(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = opts.logger ?? createLogger();
  const db = openDatabase(path.join(dataDir, 'fieldlink.db'), undefined, log);
  const bus = new EventBus();
  const settings = new SettingsStore(db);
  const jobs = new JobRegistry(bus);
  const inventory = new Inventory(
    db,
    (box) => bus.emit('box.changed', box),
    (id) => bus.emit('box.removed', { id }),
  );
  const trust = new TrustStore(db);
  const audit = new AuditLog(db, () => settings.get().technician);
  const secrets = new SecretStore(db, opts.sealer ?? keyFileSealer(dataDir, log));
  const hostTrust = new Trust({ store: trust, audit, book: new PublicKeyBook(dataDir), onKeyChanged: (boxId) => inventory.markKeyChanged(boxId, true) });
  const connections = new Connections({ dataDir, inventory, trust, hostTrust, audit, secrets, log });
  const discovery = new Discovery({
    inventory,
    log,
    // Only over a pinned key (strict): an unknown box is never logged in to by discovery.
    identify: async (boxId) => {
      try {
        return await identifyBox(await connections.shell(boxId, { mode: 'strict', timeoutMs: 8000 }), { timeoutMs: 8000 });
      } catch {
        return null; // no login (no key or remembered password): the TXT facts stand
      }
    },
  });
  // The Console view connects strictly: an unknown key comes back to the UI as a trust prompt.
  const consoles = new ConsoleSessions(bus, (target, size, opts) => connections.terminal(target, size, opts));

  const healthSnapshots = new SnapshotStore(path.join(dataDir, 'health'), log);
  const health = new HealthWatchers({
    // Strict: a health watch never accepts an unknown key; the Console's trust prompt does that.
    shell: (boxId, o) => connections.shell(boxId, { mode: 'strict', ...o }),
    inventory,
    secrets,
    store: healthSnapshots,
    emit: (view) => bus.emit('health.changed', view),
    emitLog: (e) => bus.emit('health.podLog', e),
    dataDir,
    log,
  });

  const outbox = new Outbox(db);
  const info = (): AppInfo => ({ version: VERSION, dataDir, platform: `${process.platform}-${process.arch}`, host: opts.host });
  // What the last sync learnt of the collector: the status bar's "Offline since 14:02".
  const collector = { online: false, since: null as string | null };
  const collectorSeen = (online: boolean) => {
    if (collector.since && collector.online === online) return;
    collector.online = online;
    collector.since = new Date().toISOString();
    bus.emit('status.changed', status());
  };
  // One segment store for the app, recovered once (temp files, damaged segments) on first use.
  let segmentStore: Promise<SegmentStore> | null = null;
  const logStore = () =>
    (segmentStore ??= (async () => {
      const store = new SegmentStore({ dataDir, db, quotaBytes: () => settings.get().quotaBytes, log });
      await store.recover();
      return store;
    })());
  const status = (): Status => ({
    collector: { url: settings.get().collectorUrl, ...collector },
    outbox: outbox.summary(),
    jobs: jobs.running(),
  });
  const updateSettings = (patch: Partial<Settings>): Settings => {
    const next = settings.set(patch);
    bus.emit('settings.changed', next);
    // The collector address is part of the status bar.
    bus.emit('status.changed', status());
    return next;
  };
  const syncDeps = { store: logStore, jobs, secrets, settings, collectorSeen, connections, audit };
  // The CLI runs one command and exits: only the app and the browser host sync in the background.
  const autoSyncMs = opts.autoSyncMs ?? (opts.host === 'cli' ? 0 : 30_000);
  const backgroundSync = autoSyncMs > 0 ? autoSync({ ...syncDeps, everyMs: autoSyncMs, log }) : null;
  const dispatch = createDispatch(
    {
      ...appHandlers({ info, status, updateSettings, settings, audit }),
      ...boxHandlers({ inventory }),
      ...jobHandlers({ jobs }),
      ...trustHandlers({ trust: hostTrust }),
      ...consoleHandlers({ consoles }),
      ...credentialHandlers({ connections, audit, dataDir }),
      ...discoveryHandlers({ discovery, jobs, inventory, trust, log }),
      ...healthHandlers({ watchers: health }),
      ...logHandlers(syncDeps),
      ...provisionHandlers({ dataDir, jobs, bus, deps: () => provisionDeps({ dataDir, connections, secrets, audit, inventory }) }),
    },
    log,
  );

  const app: App = {
    dataDir,
    db,
    bus,
    log,
    jobs,
    inventory,
    trust,
    hostTrust,
    audit,
    outbox,
    settings,
    secrets,
    connections,
    consoles,
    discovery,
    health,
    healthSnapshots,
    dispatch,
    info,
    status,
    updateSettings,
    async close() {
      backgroundSync?.stop();
      jobs.cancelAll();
      await discovery.stop();
      await consoles.closeAll();
      await health.closeAll();
      await connections.close();
      db.close();
    },
  };
  // Job changes move the status bar: keep it current without each job having to remember.
  bus.on('job.changed', () => bus.emit('status.changed', status()));
  return app;
}

/** The calls that belong to the app as a whole: what it is, its status bar, its settings, its audit trail. */
function appHandlers(s: {
  info: () => AppInfo;
  status: () => Status;
  updateSettings: (patch: Partial<Settings>) => Settings;
  settings: SettingsStore;
  audit: AuditLog;
}): HandlersOf<'app' | 'status' | 'settings' | 'audit'> {
  return {
    'app.info': () => s.info(),
    'status.get': () => s.status(),
    'settings.get': () => s.settings.get(),
    'settings.set': (patch) => s.updateSettings(patch),
    'audit.list': (q) => s.audit.list(q),
  };
}
