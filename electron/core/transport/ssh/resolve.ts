import fs from 'node:fs';
import os from 'node:os';
import { FieldlinkError } from '../../../../shared/errors.ts';
import type { AuditLog } from '../../db/audit.ts';
import type { TrustStore } from '../../db/trust.ts';
import { readTechnicianKey } from '../../keys/technician.ts';
import type { Logger } from '../../log/index.ts';
import type { PublicKeyBook } from '../../trust/knownhosts.ts';
import { hostKeyAlgorithmsFor, normalizeFingerprint } from '../../trust/fingerprint.ts';
import { trustPolicy, type HostKeyPolicy, type TrustMode } from '../../trust/policy.ts';
import { expandIdentityFile, loadSshConfig } from '../sshconfig.ts';
import { connectSsh, defaultIdentityFiles, type ConnectSshOptions } from './connect.ts';
import type { SshShell } from './sshshell.ts';

export interface SshDeps {
  trust: TrustStore;
  audit?: AuditLog;
  book?: PublicKeyBook;
  /** Where the technician key lives. */
  dataDir: string;
  log?: Logger;
}

export interface ResolveSshOptions {
  mode: TrustMode;
  ask?: HostKeyPolicy['ask'];
  password?: () => Promise<string | undefined>;
  /** ~/.ssh/config by default; null to ignore the user's config. */
  sshConfigFile?: string | null;
  home?: string;
  boxId?: string | null;
  timeoutMs?: number;
  keepaliveMs?: number;
}

/** Everything needed to open the connection: the target's options and the ProxyJump hops before it. */
export interface ResolvedSsh {
  target: Omit<ConnectSshOptions, 'signal' | 'sock'>;
  jumps: Array<Omit<ConnectSshOptions, 'signal' | 'sock'>>;
}

/**
 * Turns a target as the technician wrote it into connection options, with OpenSSH's habits: the
 * user's ~/.ssh/config (HostName, Port, User, IdentityFile, ProxyJump), then the technician key,
 * then the default identities; trust from the pin table for each host, hops included.
 */
export function resolveSsh(t: { host: string; port?: number; user?: string }, deps: SshDeps, o: ResolveSshOptions): ResolvedSsh {
  const home = o.home ?? os.homedir();
  const one = (alias: string, port: number | undefined, user: string | undefined, boxId: string | null, withPassword: boolean): Omit<ConnectSshOptions, 'signal' | 'sock'> & { proxy: ReturnType<typeof loadSshConfig>['proxyJump'] } => {
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
      trust: trustPolicy({ store: deps.trust, audit: deps.audit, book: deps.book, host, port: p, mode: o.mode, ask: o.ask, boxId }),
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

/** Opens the connection through its ProxyJump hops (each verified against its own pins); closing the shell closes the hops. */
export async function connectResolved(r: ResolvedSsh, signal?: AbortSignal): Promise<SshShell> {
  const hops: SshShell[] = [];
  try {
    for (const j of r.jumps) {
      const prev = hops.at(-1);
      const sock = prev ? await prev.forwardOut(j.host, j.port ?? 22) : undefined;
      hops.push(await connectSsh({ ...j, sock, signal }));
    }
    const last = hops.at(-1);
    const sock = last ? await last.forwardOut(r.target.host, r.target.port ?? 22) : undefined;
    const shell = await connectSsh({ ...r.target, sock, signal });
    if (hops.length) shell.onDrop(() => void Promise.all(hops.map((h) => h.close())));
    const close = shell.close.bind(shell);
    shell.close = async () => {
      await close();
      await Promise.all(hops.reverse().map((h) => h.close()));
    };
    return shell;
  } catch (err) {
    await Promise.all(hops.map((h) => h.close()));
    throw err;
  }
}

const PROBE_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

/**
 * The keys a box offers, without logging in (for `fieldlink trust TARGET --fingerprint …` and the
 * trust prompt): one handshake per key type, each refused on purpose right after the server proves
 * its key, so no credential is ever sent.
 */
export async function probeHostKeys(host: string, port = 22, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Array<{ keyType: string; fingerprint: string }>> {
  const out: Array<{ keyType: string; fingerprint: string }> = [];
  let lastErr: unknown;
  for (const keyType of PROBE_TYPES) {
    try {
      const s = await connectSsh({ host, port, agent: '', trust: { pinned: [], mode: 'strict' }, signal: o.signal, timeoutMs: o.timeoutMs ?? 15_000, hostKeyAlgorithms: hostKeyAlgorithmsFor(keyType) });
      await s.close();
      throw new FieldlinkError('INTERNAL', 'The probe logged in although it should have stopped at the host key.');
    } catch (err) {
      if (err instanceof FieldlinkError && err.code === 'HOST_KEY_UNKNOWN') {
        out.push((err.details?.offered as Array<{ keyType: string; fingerprint: string }>)[0]!);
        continue;
      }
      // A box without this key type fails the handshake with PROTOCOL; anything else (unreachable,
      // cancelled, timed out) ends the probe.
      if (err instanceof FieldlinkError && err.code === 'PROTOCOL') {
        lastErr = err;
        continue;
      }
      throw err;
    }
  }
  if (out.length === 0) throw lastErr ?? new FieldlinkError('PROTOCOL', `${host}:${port} offered no host key Fieldlink understands.`);
  return out;
}

/**
 * Pins a fingerprint the technician typed or scanned from the label, after checking the box really
 * offers it; a mismatch pins nothing and says what the box showed instead.
 */
export async function pinTypedFingerprint(
  deps: SshDeps,
  t: { host: string; port?: number; fingerprint: string; boxId?: string | null },
  o: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ keyType: string; fingerprint: string }> {
  const port = t.port ?? 22;
  const typed = normalizeFingerprint(t.fingerprint);
  const all = await probeHostKeys(t.host, port, o);
  const offered = all.find((k) => k.fingerprint === typed);
  if (!offered) {
    const shown = all.map((k) => `${k.keyType} ${k.fingerprint}`).join(', ');
    deps.audit?.record({ boxId: t.boxId ?? null, action: 'trust.pin', outcome: 'refused', detail: `${t.host}:${port} typed ${typed} but the box offers ${shown}` });
    throw new FieldlinkError(
      'HOST_KEY_CHANGED',
      `${t.host}:${port} offers ${shown}, not the fingerprint you entered (${typed}). Nothing was pinned: check the label, or read the key over the serial cable.`,
      { host: t.host, port, offered: all, pinned: [], typed },
    );
  }
  deps.trust.pin({ host: t.host, port, keyType: offered.keyType, fingerprint: offered.fingerprint, source: 'typed', boxId: t.boxId ?? null });
  deps.audit?.record({ boxId: t.boxId ?? null, action: 'trust.pin', outcome: 'ok', detail: `${t.host}:${port} ${offered.keyType} ${offered.fingerprint} (typed)` });
  return offered;
}
