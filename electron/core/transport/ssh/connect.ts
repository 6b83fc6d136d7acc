import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AuthenticationType, ConnectConfig } from 'ssh2';
import { FieldlinkError } from '../../../../shared/errors.ts';
import type { Logger } from '../../log/index.ts';
import { deadline } from './cancel.ts';
import { hostKeyAlgorithmsFor, type HostKey, type HostKeyCheck } from './hostkey.ts';
import { mapConnectError } from './errors.ts';
import { SshShell } from './sshshell.ts';

export interface ConnectSshOptions {
  host: string;
  port?: number;
  /** Default root: edge boxes are administered as root. */
  user?: string;
  /** Asked at most once, only when the box offers password or keyboard-interactive and keys did not work. */
  password?: () => Promise<string | undefined>;
  /** Private key files, tried in order after the agent (OpenSSH order). Missing or encrypted ones are skipped. */
  identityFiles?: string[];
  /** Agent socket; default SSH_AUTH_SOCK, Pageant on Windows. '' disables the agent. */
  agent?: string;
  trust: HostKeyCheck;
  signal?: AbortSignal;
  /** Covers TCP connect, handshake and login; default 20 s. Time spent asking the technician is not counted. */
  timeoutMs?: number;
  /** Keepalive interval; three missed answers drop the link. Default 15 s, 0 disables. */
  keepaliveMs?: number;
  log?: Logger;
  /** An already-open stream to the box (e.g. a ProxyJump tunnel from another SshShell's forwardOut). */
  sock?: Duplex;
  /** Only these host key algorithms (to ask a box for one key type in particular). */
  hostKeyAlgorithms?: string[];
}

const PREFERRED_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];

function defaultAgent(): string | undefined {
  if (process.platform === 'win32') return 'pageant';
  return process.env.SSH_AUTH_SOCK || undefined;
}

/** The OpenSSH default identities, for callers that want `ssh`'s habits when no file is configured. */
export function defaultIdentityFiles(home = os.homedir()): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(home, '.ssh', f));
}

interface AuthStep {
  label: string;
  method: AuthenticationType;
  make: (user: string) => Promise<ssh2.AnyAuthMethod | null>;
}

/**
 * Opens one SSH connection, verifying the host key against the policy before any authentication
 * (ssh2 asks hostVerifier during key exchange, and only requests the userauth service afterwards),
 * then logging in the way OpenSSH does: agent, key files, password, keyboard-interactive.
 */
export async function connectSsh(opts: ConnectSshOptions): Promise<SshShell> {
  const port = opts.port ?? 22;
  const user = opts.user ?? 'root';
  const target = `${user}@${opts.host}:${port}`;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  if (opts.signal?.aborted) throw new FieldlinkError('ABORTED', `Connecting to ${target} was cancelled.`);

  const tried: string[] = [];
  let allowed: string[] | null = null;
  const notes: string[] = [];
  let passwordCache: { value: string | undefined } | undefined;
  const getPassword = async () => {
    if (!passwordCache) passwordCache = { value: opts.password ? await opts.password() : undefined };
    return passwordCache.value;
  };

  const steps: AuthStep[] = [];
  const agent = opts.agent === '' ? undefined : (opts.agent ?? defaultAgent());
  if (agent && (agent === 'pageant' || fs.existsSync(agent))) {
    steps.push({ label: 'agent', method: 'agent', make: async (username) => ({ type: 'agent', username, agent }) });
  }
  for (const file of opts.identityFiles ?? []) {
    steps.push({
      label: `key ${file}`,
      method: 'publickey',
      make: async (username) => {
        let text: Buffer;
        try {
          text = fs.readFileSync(file);
        } catch {
          return null;
        }
        const parsed = ssh2.utils.parseKey(text);
        if (parsed instanceof Error) {
          notes.push(`${file}: ${/encrypted/i.test(parsed.message) ? 'encrypted, skipped' : 'not a key Fieldlink can read'}`);
          return null;
        }
        return { type: 'publickey', username, key: text };
      },
    });
  }
  steps.push({
    label: 'password',
    method: 'password',
    make: async (username) => {
      const password = await getPassword();
      return password === undefined ? null : { type: 'password', username, password };
    },
  });
  steps.push({
    label: 'keyboard-interactive',
    method: 'keyboard-interactive',
    make: async (username) => {
      const password = await getPassword();
      if (password === undefined) return null;
      return {
        type: 'keyboard-interactive',
        username,
        // Every prompt is a password prompt on these boxes; never echo-prompts for anything else.
        prompt: (_name: string, _instr: string, _lang: string, prompts: Array<{ prompt: string; echo?: boolean }>, finish: (answers: string[]) => void) =>
          finish(prompts.map((p) => (p.echo ? '' : password))),
      };
    },
  });

  const dl = deadline(opts.signal, undefined);
  const client = new ssh2.Client();
  let hostKey: HostKey | undefined;
  let decided: FieldlinkError | undefined;
  let asking = false;

  try {
    return await new Promise<SshShell>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (err: FieldlinkError) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        client.removeAllListeners('ready');
        client.on('error', () => undefined);
        client.destroy();
        reject(err);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(new FieldlinkError('TIMEOUT', `${target} did not complete the SSH login within ${timeoutMs / 1000} s.`, { target })), timeoutMs);
      };
      arm();
      dl.signal.addEventListener('abort', () => fail(new FieldlinkError('ABORTED', `Connecting to ${target} was cancelled.`, { target })), { once: true });

      client.on('ready', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!hostKey) {
          client.destroy();
          return reject(new FieldlinkError('INTERNAL', `The host key of ${target} was never verified.`));
        }
        try {
          // Only now has the server proved it holds the key: a first-use pin is committed here.
          opts.trust.confirmed?.(hostKey, { host: opts.host, port });
        } catch (err) {
          client.destroy();
          return reject(err instanceof FieldlinkError ? err : new FieldlinkError('INTERNAL', `Recording the host key of ${target} failed.`, undefined, { cause: err }));
        }
        resolve(new SshShell(client, { host: opts.host, port, user, hostKey, log: opts.log }));
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (decided) return fail(decided);
        fail(mapConnectError(err, target, { tried, allowed }));
      });
      client.on('close', () => {
        if (decided) return fail(decided);
        fail(new FieldlinkError('LINK_DOWN', `${target} closed the connection during login.`, { target }));
      });

      let stepIndex = 0;
      const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (r: ssh2.AnyAuthMethod | false) => void) => {
        if (methodsLeft) allowed = methodsLeft;
        void (async () => {
          while (stepIndex < steps.length) {
            const step = steps[stepIndex++]!;
            if (methodsLeft && !methodsLeft.includes(step.method === 'agent' ? 'publickey' : step.method)) continue;
            const r = await step.make(user);
            if (r) {
              tried.push(step.label);
              opts.log?.debug({ target, method: step.label }, 'ssh auth attempt');
              return next(r);
            }
          }
          next(false);
        })().catch(() => next(false));
      };

      const pinnedAlgos = opts.trust.pinnedKeyTypes.flatMap((t) => hostKeyAlgorithmsFor(t));
      const serverHostKey = opts.hostKeyAlgorithms ?? [...new Set([...pinnedAlgos, ...PREFERRED_HOST_KEY_ALGOS])];
      const config: ConnectConfig = {
        host: opts.host,
        port,
        username: user,
        sock: opts.sock as ConnectConfig['sock'],
        readyTimeout: 0,
        keepaliveInterval: opts.keepaliveMs ?? 15_000,
        keepaliveCountMax: 3,
        tryKeyboard: true,
        algorithms: { serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
        authHandler: authHandler as unknown as ConnectConfig['authHandler'],
        hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
          asking = opts.trust.interactive;
          if (asking) clearTimeout(timer);
          opts.trust
            .verify(opts.host, port, key)
            .then((d) => {
              if (asking) arm();
              if (d.ok) {
                hostKey = d.key;
                verify(true);
              } else {
                decided = d.error;
                verify(false);
                fail(d.error);
              }
            })
            .catch((err) => {
              decided = new FieldlinkError('INTERNAL', `Checking the host key of ${target} failed.`, undefined, { cause: err });
              verify(false);
              fail(decided);
            });
        }) as unknown as ConnectConfig['hostVerifier'],
      };
      try {
        client.connect(config);
        // ssh2 leaves Nagle on: each command is several small request/reply packets, and Nagle plus
        // delayed ACKs adds ~40 ms per round trip (measured: 93 ms vs 19 ms per command on the lab).
        client.setNoDelay(true);
      } catch (err) {
        fail(new FieldlinkError('BAD_REQUEST', `Cannot connect to ${target}: ${(err as Error).message}.`, { target }));
      }
    });
  } catch (err) {
    if (err instanceof FieldlinkError && err.code === 'AUTH_FAILED' && notes.length) {
      throw new FieldlinkError(err.code, `${err.message} (${notes.join('; ')})`, err.details);
    }
    throw err;
  } finally {
    dl.dispose();
  }
}
