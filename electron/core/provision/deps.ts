import type { Connections, ConnectOptions } from '../connections/index.ts';
import type { AuditLog, Inventory } from '../db/index.ts';
import { ensureTechnicianKey } from '../keys/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { ArtifactCache } from './artifacts.ts';
import type { ProvisionDeps } from './run.ts';

/**
 * What a provisioning run uses of the app, the same for every front door: shells from the
 * connections (pinned keys only, the technician key first, then the given or remembered password),
 * the data folder's artifact cache and technician key, the keychain, the audit log.
 */
export function provisionDeps(
  app: { dataDir: string; connections: Connections; secrets: SecretStore; audit: AuditLog; inventory: Inventory },
  connect: ConnectOptions | ((target: string) => ConnectOptions) = {},
): ProvisionDeps {
  const optsFor = typeof connect === 'function' ? connect : () => connect;
  // Made once, when the first run needs it (the keys step installs it).
  let key: ReturnType<typeof ensureTechnicianKey> | undefined;
  const technician = () => (key ??= ensureTechnicianKey(app.dataDir));
  return {
    openShell: (target, signal) => app.connections.shell(target, { ...optsFor(target), ...(signal ? { signal } : {}) }),
    proveKeyLogin: (target) => app.connections.keyLoginWorks(target, technician().privateKeyPath),
    artifacts: new ArtifactCache(app.dataDir),
    secret: (name) => app.secrets.get(name),
    technicianKey: () => technician().publicKey,
    audit: app.audit,
    markProvisioned: (boxId, p) => app.inventory.markProvisioned(boxId, p),
    boxIdOf: (target) => {
      try {
        return app.connections.resolve(target).boxId ?? app.inventory.find(target)?.id ?? null;
      } catch {
        return null;
      }
    },
  };
}
