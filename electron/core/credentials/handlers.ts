import type { Connections } from '../connections/index.ts';
import type { AuditLog } from '../db/index.ts';
import type { HandlersOf } from '../rpc/index.ts';
import { ensureTechnicianKey, installPublicKey } from '../keys/index.ts';

/**
 * The technician key and the remembered box passwords, for every front door that connects: after a
 * password login the UI offers keys.install so the next connection needs no password.
 */
export function credentialHandlers({ connections, audit, dataDir }: { connections: Connections; audit: AuditLog; dataDir: string }): HandlersOf<'keys' | 'credentials'> {
  return {
    'keys.install': async ({ target, password, remember }) => {
      const boxId = connections.resolve(target).boxId;
      // For SSH this is the pooled connection the password login opened: no second password.
      const shell = await connections.shell(target, { password, remember });
      let added: boolean;
      // The key is made (the first time) only once there is a box to put it on.
      let key: ReturnType<typeof ensureTechnicianKey> | undefined;
      try {
        key = ensureTechnicianKey(dataDir);
        ({ added } = await installPublicKey(shell, key.publicKey));
      } catch (err) {
        audit.record({ boxId, action: 'keys.install', outcome: 'failed', detail: `technician key ${key?.fingerprint ?? '(not readable)'} over ${shell.target}` });
        throw err;
      } finally {
        await shell.close();
      }
      audit.record({
        boxId,
        action: 'keys.install',
        outcome: 'ok',
        detail: `technician key ${key.fingerprint} ${added ? 'added to' : 'was already in'} authorized_keys over ${shell.target}`,
      });
      const user = shell.kind === 'ssh' ? shell.target.split('@')[0]! : 'root';
      // Proof, not hope: a fresh SSH login with only this key (over the cable there is nothing to try).
      const verified = shell.kind === 'ssh' ? await connections.keyLoginWorks(target, key.privateKeyPath) : null;
      return { added, fingerprint: key.fingerprint, user, verified };
    },
    'credentials.forget': ({ target }) => ({ forgotten: connections.forgetPassword(target) }),
  };
}
