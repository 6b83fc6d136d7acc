import fs from 'node:fs';
import os from 'node:os';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { AuditLog, TrustStore } from '../db/index.ts';
import { readTechnicianKey } from '../keys/index.ts';
import type { Logger } from '../log/index.ts';
import { Trust, type AskTrust, type PublicKeyBook, type TrustMode } from '../trust/index.ts';
import { defaultIdentityFiles, expandIdentityFile, loadSshConfig, type ConnectSshOptions, type ResolvedSsh } from '../transport/index.ts';

export interface SshDeps {
  trust: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
  /** The trust use case to decide and pin through (the app's one instance); else one over `trust`. */
  hostTrust?: Trust;
  /** Where the technician key lives. */
  dataDir: string;
  log?: Logger;
}

export interface ResolveSshOptions {
  mode: TrustMode;
  ask?: AskTrust;
  password?: () => Promise<string | undefined>;
  /** ~/.ssh/config by default; null to ignore the user's config. */
  sshConfigFile?: string | null;
  home?: string;
  boxId?: string | null;
  timeoutMs?: number;
  keepaliveMs?: number;
}

/**
 * Turns a target as the technician wrote it into connection options, with OpenSSH's habits: the
 * user's ~/.ssh/config (HostName, Port, User, IdentityFile, ProxyJump), then the technician key,
 * then the default identities; trust from the pin table for each host, hops included.
 */
export function resolveSsh(t: { host: string; port?: number; user?: string }, deps: SshDeps, o: ResolveSshOptions): ResolvedSsh {
  const home = o.home ?? os.homedir();
  const hostTrust = deps.hostTrust ?? new Trust({ store: deps.trust, audit: deps.audit, book: deps.book });
  const one = (
    alias: string,
    port: number | undefined,
    user: string | undefined,
    boxId: string | null,
    withPassword: boolean,
  ): Omit<ConnectSshOptions, 'signal' | 'sock'> & { proxy: ReturnType<typeof loadSshConfig>['proxyJump'] } => {
    const cfg = o.sshConfigFile === null ? null : loadSshConfig(alias, { file: o.sshConfigFile, home });
    const host = cfg?.hostName ?? alias;
    const p = port ?? cfg?.port ?? 22;
    const u = user ?? cfg?.user ?? 'root';
    const files = [
      ...(cfg?.identityFiles ?? []).map((f) => expandIdentityFile(f, { home, host, user: u, port: p })),
      ...(() => {
        try {
          const k = readTechnicianKey(deps.dataDir);
          return k ? [k.privateKeyPath] : [];
        } catch {
          // A damaged technician key must not block password login; `fieldlink keys` reports it.
          return [];
        }
      })(),
      ...defaultIdentityFiles(home).filter((f) => fs.existsSync(f)),
    ];
    return {
      host,
      port: p,
      user: u,
      identityFiles: [...new Set(files)],
      password: withPassword ? o.password : undefined,
      trust: hostTrust.checkFor({ host, port: p, mode: o.mode, ask: o.ask, boxId }),
      timeoutMs: o.timeoutMs,
      keepaliveMs: o.keepaliveMs,
      log: deps.log,
      proxy: cfg?.proxyJump ?? [],
    };
  };
  const { proxy, ...target } = one(t.host, t.port, t.user, o.boxId ?? null, true);
  if (proxy.length > 8) throw new FieldlinkError('BAD_REQUEST', `ProxyJump for ${t.host} has more than 8 hops.`);
  // Jump hosts get the same trust rules but never the box's password: it belongs to the box.
  const jumps = proxy.map((h) => {
    const { proxy: _ignored, ...j } = one(h.host, h.port ?? undefined, h.user ?? undefined, null, false);
    return j;
  });
  return { target, jumps };
}
