import { FieldlinkError } from '../../../shared/errors.ts';
import type { PasswordNeeded } from '../../../shared/api.ts';
import type { AuditLog, Inventory, TrustStore } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { boxIdOf, identifyBox } from '../boxes/index.ts';
import { serialTerminalLink, sshTerminalLink, type TerminalLink } from '../console/index.ts';
import { PublicKeyBook, readHostKeys, type SerialPinResult, type Trust, type TrustMode } from '../trust/index.ts';
import { SshPool, connectResolved, connectSsh, openSerial, parseTarget, type Shell, type SshShell, type SshTargetOptions, type Target } from '../transport/index.ts';
import { resolveSsh } from './ssh-target.ts';

/** Why an SSH attempt at a box may give way to its cable. */
const CABLE_FALLBACK = new Set<string>(['HOST_KEY_UNKNOWN', 'LINK_DOWN', 'TIMEOUT']);

export interface ConnectOptions {
  /** strict (default): only pinned keys; accept-new: pin an unknown key on first use (never a changed one). */
  mode?: TrustMode;
  /** A password the technician gave for this call (e.g. --password-stdin, the UI prompt); else the keychain's. */
  password?: string;
  /** Keep `password` in the keychain for this box, once the box has accepted it (never before). */
  remember?: boolean;
  /** Called when this call logged in with a password (given or remembered): the moment to offer the technician key. */
  onPasswordLogin?: () => void;
  /**
   * Where the technician can be asked (the CLI on a terminal): called when a password would get in,
   * or the last one was refused; undefined gives up. At most three tries, as OpenSSH allows.
   */
  askPassword?: (problem: PasswordNeeded) => Promise<string | undefined>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ConnectionDeps {
  dataDir: string;
  inventory: Inventory;
  trust: TrustStore;
  /** The trust use case the trust.* calls share, so a prompt can pin only what a refused handshake showed. */
  hostTrust: Trust;
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
    return parseTarget(text, (name) => this.#findBox(name));
  }

  /** A box by id, serial, hostname or address; a name several boxes answer to is refused, never guessed. */
  #findBox(name: string) {
    const found = this.#deps.inventory.find(name);
    if (!found) return undefined;
    const all = this.#deps.inventory.list().filter((b) => b.id === name || b.serial === name || b.hostname === name || b.addresses.includes(name));
    const exact = all.filter((b) => b.id === name || b.serial === name);
    if (exact.length === 1) return exact[0];
    if (new Set(all.map((b) => b.id)).size > 1) {
      throw new FieldlinkError(
        'CONFLICT',
        `"${name.slice(0, 80)}" names ${all.length} boxes (${all
          .map((b) => b.id)
          .slice(0, 5)
          .join(', ')}). Nothing was sent; use the box's serial number instead.`,
        { boxIds: all.map((b) => b.id) },
      );
    }
    return found;
  }

  /**
   * A Shell on the target: a pooled SSH connection (opened now, so a refused login says so here and a
   * password is remembered only once it worked), or a serial console logged in for this caller.
   */
  async shell(text: string, opts: ConnectOptions = {}): Promise<Shell> {
    const t = this.resolve(text);
    if (t.kind === 'serial') return this.#serial(t, opts, text);
    try {
      const { target, release } = await this.#sshAcquire(t, opts, text);
      release();
      return this.#pool.shell(target);
    } catch (err) {
      const cable = opts.signal?.aborted ? undefined : this.#cableInstead(t, err);
      if (!cable) throw err;
      this.#deps.log?.info({ boxId: t.boxId, code: (err as FieldlinkError).code }, 'the LAN did not get in; using the box cable');
      return this.#serial(cable, opts, text);
    }
  }

  /**
   * A box named by the technician that the LAN could not reach, or whose host key is not pinned
   * yet, is reached over its cable when it has one: the cable is the out-of-band way in, and what a
   * technician standing at the box expects. Never after a changed host key or a refused login:
   * those are for the technician to see.
   */
  #cableInstead(t: Target, err: unknown): Extract<Target, { kind: 'serial' }> | undefined {
    if (!t.boxId || !(err instanceof FieldlinkError) || !CABLE_FALLBACK.has(err.code)) return undefined;
    const box = this.#deps.inventory.get(t.boxId);
    return box?.consolePath ? { kind: 'serial', path: box.consolePath, baud: 115200, boxId: box.id } : undefined;
  }

  /** A terminal for the Console view: a PTY channel over SSH, or the serial console handed over raw. */
  async terminal(text: string, size: { cols: number; rows: number }, opts: ConnectOptions = {}): Promise<TerminalLink> {
    const t = this.resolve(text);
    if (t.kind === 'serial') {
      const shell = await this.#serial(t, opts, text);
      try {
        return serialTerminalLink(shell, await shell.openTerminal());
      } catch (err) {
        await shell.close();
        throw err;
      }
    }
    const { shell, release } = await this.#sshAcquire(t, opts, text);
    try {
      return sshTerminalLink(await shell.openTerminal(size), release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Out-of-band trust: reads the box's host keys over its serial console and pins them (source
   * `serial`) for the addresses the box reports that are free or already its own (Trust.pinOverSerial);
   * addresses pinned for another box come back as conflicts, untouched.
   */
  async trustOverSerial(text: string, opts: ConnectOptions & { replace?: string[] } = {}): Promise<{ boxId: string; hostname: string; addresses: string[] } & SerialPinResult> {
    const t = this.resolve(text);
    if (t.kind !== 'serial') throw new FieldlinkError('BAD_REQUEST', 'Reading host keys out of band needs the serial cable: use serial:PATH.');
    const shell = await this.#serial(t, opts);
    try {
      const facts = await identifyBox(shell, { signal: opts.signal });
      const keys = await readHostKeys(shell, { signal: opts.signal });
      if (keys.length === 0) throw new FieldlinkError('REMOTE_FAILED', 'The box has no SSH host keys yet (is sshd installed?). Nothing was pinned.');
      const boxId = boxIdOf(facts);
      const { inventory, hostTrust } = this.#deps;
      const r = hostTrust.pinOverSerial({ boxId, via: shell.target, addresses: facts.addresses, keys, replace: opts.replace });
      // An address pinned for another box is not recorded as this box's either.
      const taken = new Set(r.conflicts.map((c) => c.address));
      const addresses = facts.addresses.filter((a) => !taken.has(a));
      inventory.recordSighting({
        boxId,
        source: 'serial',
        address: shell.target,
        addresses,
        hostname: facts.hostname || undefined,
        serial: facts.serial,
        arch: facts.arch,
        model: facts.model,
        vendor: facts.vendor,
        k3sVersion: facts.k3sVersion,
      });
      if (r.pinned.length) inventory.markKeyChanged(boxId, false);
      // The same box seen on the LAN before anyone knew its serial number (known by a host key it
      // has just shown over the cable) is this box.
      for (const k of keys) inventory.mergeInto(`key:${k.fingerprint}`, boxId);
      return { boxId, hostname: facts.hostname, addresses, ...r };
    } finally {
      await shell.close();
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /**
   * Whether the box now lets this one key in by itself: a fresh connection (not the pooled one),
   * with no agent, no other key and no password, under the same trust rules. For SSH targets only.
   */
  async keyLoginWorks(text: string, privateKeyPath: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
    const t = this.resolve(text);
    if (t.kind !== 'ssh') return false;
    const target = this.#ssh(t, { mode: 'strict' }, this.#passwordFor(null, '', undefined));
    const { jumps, ...rest } = target;
    const trust = typeof rest.trust === 'function' ? rest.trust() : rest.trust;
    const only = { ...rest, trust, identityFiles: [privateKeyPath], agent: '', password: async () => undefined };
    try {
      const shell = jumps?.length ? await connectResolved({ target: only, jumps }, opts.signal) : await connectSsh({ ...only, signal: opts.signal });
      await shell.close();
      return true;
    } catch (err) {
      if (err instanceof FieldlinkError && err.code === 'AUTH_FAILED') return false;
      throw err;
    }
  }

  /** Forgets the password remembered for a target: under its box and under its address or port. */
  forgetPassword(text: string): boolean {
    const t = this.resolve(text);
    const where = t.kind === 'ssh' ? t.host : t.path;
    const names = [...new Set([t.boxId, where].filter((n): n is string => !!n).map(boxPasswordSecret))];
    const forgotten = names.map((n) => this.#deps.secrets.delete(n)).some(Boolean);
    if (forgotten) this.#deps.audit.record({ boxId: t.boxId, action: 'credentials.forget', outcome: 'ok', detail: `box password for ${where} removed from this laptop` });
    return forgotten;
  }

  /**
   * This call's password: the one the technician gave, else the keychain's (under the box, then the
   * address). Read lazily, and it records whether the box ever asked for it: only then did a login
   * that worked use it, and only then may it be remembered.
   */
  #passwordFor(boxId: string | null, host: string, given: string | undefined): PasswordUse {
    let read = false;
    let value: string | undefined;
    let remembered = false;
    const lookup = () => {
      if (read) return value;
      read = true;
      if (given !== undefined) return (value = given);
      try {
        value = (boxId ? this.#deps.secrets.get(boxPasswordSecret(boxId)) : undefined) ?? this.#deps.secrets.get(boxPasswordSecret(host));
      } catch (err) {
        // A keychain that cannot be opened must not block the prompt; the password itself is never logged.
        this.#deps.log.warn({ err: (err as Error)?.message, host }, 'the remembered box password cannot be read');
      }
      remembered = value !== undefined;
      return value;
    };
    const use: PasswordUse = {
      asked: false,
      get value() {
        return lookup();
      },
      get remembered() {
        lookup();
        return remembered;
      },
      ask: () => {
        use.asked = true;
        return lookup();
      },
    };
    return use;
  }

  /** How the pool reaches the box: ~/.ssh/config, ProxyJump hops, keys, password, and trust from the pins. */
  #ssh(t: Extract<Target, { kind: 'ssh' }>, opts: ConnectOptions, pw: PasswordUse): SshTargetOptions {
    const { dataDir, trust, audit, log } = this.#deps;
    const r = resolveSsh(
      t,
      { trust, audit, book: this.#book, hostTrust: this.#deps.hostTrust, dataDir, log },
      {
        mode: opts.mode ?? 'strict',
        password: async () => pw.ask(),
        boxId: t.boxId,
        timeoutMs: opts.timeoutMs,
      },
    );
    return { ...r.target, jumps: r.jumps };
  }

  /** A pooled SSH connection held for the caller; a refused login comes back as a password prompt where one would help. */
  #sshAcquire(t: Extract<Target, { kind: 'ssh' }>, opts: ConnectOptions, text: string) {
    return this.#asking(opts, (o) => this.#sshAcquireOnce(t, o, text));
  }

  #serial(t: Extract<Target, { kind: 'serial' }>, opts: ConnectOptions, text = `serial:${t.path}`) {
    return this.#asking(opts, (o) => this.#serialOnce(t, o, text));
  }

  /** Runs one login, and again with the password the technician types when the caller can ask them. */
  async #asking<T>(opts: ConnectOptions, attempt: (o: ConnectOptions) => Promise<T>): Promise<T> {
    let o = opts;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt(o);
      } catch (err) {
        const problem = err instanceof FieldlinkError && err.details?.needs === 'password' ? (err.details as PasswordNeeded) : null;
        if (!problem || !opts.askPassword || tries >= 3 || opts.signal?.aborted) throw err;
        const password = await opts.askPassword(problem);
        if (password === undefined) throw err;
        o = { ...opts, password };
      }
    }
  }

  async #sshAcquireOnce(t: Extract<Target, { kind: 'ssh' }>, opts: ConnectOptions, text: string) {
    const pw = this.#passwordFor(t.boxId, t.host, opts.password);
    const target = this.#ssh(t, opts, pw);
    const user = target.user ?? 'root';
    try {
      const held = await this.#pool.acquire(target, { signal: opts.signal });
      this.#loggedIn(pw, opts, { boxId: t.boxId, where: t.host, user });
      return { ...held, target };
    } catch (err) {
      throw this.#passwordProblem(err, pw, { via: 'ssh', text, user });
    }
  }

  async #serialOnce(t: Extract<Target, { kind: 'serial' }>, opts: ConnectOptions, text: string) {
    const pw = this.#passwordFor(t.boxId, t.path, opts.password);
    // Login automation reads the password only at a password prompt: the getter tells us it was typed.
    const credentials = {
      user: 'root',
      get password() {
        return pw.ask();
      },
    };
    try {
      const shell = await openSerial({ path: t.path, baud: t.baud, credentials, signal: opts.signal, timeoutMs: opts.timeoutMs, log: this.#deps.log });
      this.#loggedIn(pw, opts, { boxId: t.boxId, where: t.path, user: 'root' });
      return shell;
    } catch (err) {
      throw this.#passwordProblem(err, pw, { via: 'serial', text, user: 'root' });
    }
  }

  /** After a login that worked: if the box took a password, say so, and keep a given one when asked to. */
  #loggedIn(pw: PasswordUse, opts: ConnectOptions, at: { boxId: string | null; where: string; user: string }): void {
    if (!pw.asked || pw.value === undefined) return;
    if (opts.password !== undefined && opts.remember) {
      try {
        this.#deps.secrets.set(boxPasswordSecret(at.boxId ?? at.where), opts.password);
        this.#deps.audit.record({
          boxId: at.boxId,
          action: 'credentials.remember',
          outcome: 'ok',
          detail: `box password for ${at.user}@${at.where} kept on this laptop (${this.#deps.secrets.kind})`,
        });
      } catch (err) {
        // The login worked; failing to keep the password only means it is asked for next time.
        this.#deps.log.warn({ err: (err as Error)?.message, where: at.where }, 'the box password could not be remembered');
      }
    }
    opts.onPasswordLogin?.();
  }

  /**
   * A refused login where a password would (or did not) get in becomes AUTH_FAILED with details
   * `PasswordNeeded` (shared/api.ts): the UI shows its password prompt, the CLI its message.
   * A box that takes no password at all (password login off) keeps the plain refusal.
   */
  #passwordProblem(err: unknown, pw: PasswordUse, at: { via: 'ssh' | 'serial'; text: string; user: string }): unknown {
    if (!(err instanceof FieldlinkError) || err.code !== 'AUTH_FAILED' || err.details?.needs === 'password') return err;
    const allowed = err.details?.allowed;
    const takesPassword = at.via === 'serial' ? pw.asked : !Array.isArray(allowed) || allowed.includes('password') || allowed.includes('keyboard-interactive');
    if (!takesPassword) return err;
    const wrong = pw.asked && pw.value !== undefined;
    const details: PasswordNeeded = { needs: 'password', wrong, remembered: wrong && pw.remembered, via: at.via, target: at.text, user: at.user };
    return new FieldlinkError('AUTH_FAILED', err.message, { ...err.details, ...details }, { cause: err });
  }
}

interface PasswordUse {
  /** The box asked for it (and got it, when there was one). */
  asked: boolean;
  readonly value: string | undefined;
  /** The value came from the keychain, not from this call. */
  readonly remembered: boolean;
  ask(): string | undefined;
}

export type { SshShell };
