import { FieldlinkError } from '../../../shared/errors.ts';
import type { TrustPin } from '../../../shared/model.ts';
import type { AuditLog, Inventory, TrustStore } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { boxIdOf, identifyBox } from '../boxes/index.ts';
import { serialTerminalLink, sshTerminalLink, type TerminalLink } from '../console/index.ts';
import { PublicKeyBook, readHostKeys, type TrustMode } from '../trust/index.ts';
import { SshPool, openSerial, parseTarget, type Shell, type SshShell, type SshTargetOptions, type Target } from '../transport/index.ts';
import { resolveSsh } from './ssh-target.ts';

export interface ConnectOptions {
  /** strict (default): only pinned keys; accept-new: pin an unknown key on first use (never a changed one). */
  mode?: TrustMode;
  /** A password the technician gave for this call (e.g. --password-stdin); else the keychain's. */
  password?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ConnectionDeps {
  dataDir: string;
  inventory: Inventory;
  trust: TrustStore;
  audit: AuditLog;
  secrets: SecretStore;
  log: Logger;
}

/** The key a box's password is kept under in the keychain. */
export const boxPasswordSecret = (boxIdOrHost: string) => `box-password:${boxIdOrHost}`;

/**
 * The one place that turns a target into a live Shell: SSH connections are pooled per box (reused
 * across calls, reopened with backoff), serial consoles opened and logged into on demand. Trust,
 * credentials and the technician key are all looked up here, so every front door behaves alike.
 */
export class Connections {
  readonly #deps: ConnectionDeps;
  readonly #pool: SshPool;
  readonly #book: PublicKeyBook;

  constructor(deps: ConnectionDeps) {
    this.#deps = deps;
    this.#pool = new SshPool({ log: deps.log });
    this.#book = new PublicKeyBook(deps.dataDir);
  }

  /** The full public keys seen for pinned hosts (the pin table keeps fingerprints only). */
  get keyBook(): PublicKeyBook {
    return this.#book;
  }

  resolve(text: string): Target {
    return parseTarget(text, (name) => this.#deps.inventory.find(name));
  }

  /** A Shell on the target: a pooled SSH connection, or a serial console logged in for this caller. */
  async shell(text: string, opts: ConnectOptions = {}): Promise<Shell> {
    const t = this.resolve(text);
    if (t.kind === 'serial') return this.#serial(t, opts);
    return this.#pool.shell(this.#ssh(t, opts));
  }

  /** A terminal for the Console view: a PTY channel over SSH, or the serial console handed over raw. */
  async terminal(text: string, size: { cols: number; rows: number }, opts: ConnectOptions = {}): Promise<TerminalLink> {
    const t = this.resolve(text);
    if (t.kind === 'serial') {
      const shell = await this.#serial(t, opts);
      try {
        return serialTerminalLink(shell, await shell.openTerminal());
      } catch (err) {
        await shell.close();
        throw err;
      }
    }
    const { shell, release } = await this.#pool.acquire(this.#ssh(t, opts), { signal: opts.signal });
    try {
      return sshTerminalLink(await shell.openTerminal(size), release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Out-of-band trust: reads the box's host keys over its serial console and pins them for every
   * address the box reports, with source `serial`, so its first LAN connection is already verified.
   */
  async trustOverSerial(text: string, opts: ConnectOptions = {}): Promise<{ boxId: string; hostname: string; addresses: string[]; pins: TrustPin[] }> {
    const t = this.resolve(text);
    if (t.kind !== 'serial') throw new FieldlinkError('BAD_REQUEST', 'Reading host keys out of band needs the serial cable: use serial:PATH.');
    const shell = await this.#serial(t, opts);
    try {
      const facts = await identifyBox(shell, { signal: opts.signal });
      const keys = await readHostKeys(shell, { signal: opts.signal });
      if (keys.length === 0) throw new FieldlinkError('REMOTE_FAILED', 'The box has no SSH host keys yet (is sshd installed?). Nothing was pinned.');
      const boxId = boxIdOf(facts);
      const { inventory, trust, audit } = this.#deps;
      inventory.recordSighting({ boxId, source: 'serial', address: shell.target, addresses: facts.addresses, hostname: facts.hostname || undefined, serial: facts.serial, arch: facts.arch, model: facts.model, vendor: facts.vendor, k3sVersion: facts.k3sVersion });
      const pins: TrustPin[] = [];
      for (const address of facts.addresses) {
        for (const k of keys) pins.push(trust.pin({ host: address, port: 22, keyType: k.keyType, fingerprint: k.fingerprint, source: 'serial', boxId }));
        for (const k of keys) if (k.publicKey) this.#book.remember(address, 22, { keyType: k.keyType, fingerprint: k.fingerprint, publicKey: k.publicKey });
      }
      inventory.markKeyChanged(boxId, false);
      audit.record({ boxId, action: 'trust.pin', outcome: 'ok', detail: `read over ${shell.target}: ${keys.map((k) => `${k.keyType} ${k.fingerprint}`).join(', ')} for ${facts.addresses.join(', ') || 'no address yet'}` });
      return { boxId, hostname: facts.hostname, addresses: facts.addresses, pins };
    } finally {
      await shell.close();
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  #password(boxId: string | null, host: string, given: string | undefined): () => Promise<string | undefined> {
    return async () => given ?? (boxId ? this.#deps.secrets.get(boxPasswordSecret(boxId)) : undefined) ?? this.#deps.secrets.get(boxPasswordSecret(host));
  }

  /** How the pool reaches the box: ~/.ssh/config, ProxyJump hops, keys, password, and trust from the pins. */
  #ssh(t: Extract<Target, { kind: 'ssh' }>, opts: ConnectOptions): SshTargetOptions {
    const { dataDir, trust, audit, log } = this.#deps;
    const r = resolveSsh(t, { trust, audit, book: this.#book, dataDir, log }, {
      mode: opts.mode ?? 'strict',
      password: this.#password(t.boxId, t.host, opts.password),
      boxId: t.boxId,
      timeoutMs: opts.timeoutMs,
    });
    return { ...r.target, jumps: r.jumps };
  }

  async #serial(t: Extract<Target, { kind: 'serial' }>, opts: ConnectOptions) {
    const password = await this.#password(t.boxId, t.path, opts.password)();
    return openSerial({ path: t.path, baud: t.baud, credentials: { user: 'root', password }, signal: opts.signal, timeoutMs: opts.timeoutMs, log: this.#deps.log });
  }
}

export type { SshShell };
