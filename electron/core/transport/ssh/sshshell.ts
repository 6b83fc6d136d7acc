import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { FieldlinkError } from '../../../../shared/errors.ts';
import type { Logger } from '../../log/index.ts';
import type { ExecOptions, ExecResult, Shell, TransferOptions } from '../shell.ts';
import { deadline } from './cancel.ts';
import type { HostKey } from './hostkey.ts';
import { linkDropped } from './errors.ts';
import { TailBuffer } from '../output.ts';
import { Semaphore } from './semaphore.ts';
import { sftpGet, sftpGetToFile, sftpPut } from './sftp.ts';

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const DEFAULT_EXEC_TIMEOUT = 30 * 60_000;
// Below OpenSSH's default MaxSessions (10), leaving room for the channel that kills a command.
const SESSIONS = 8;
const PID_SCAN_LIMIT = 64 * 1024;

export interface Terminal {
  stream: Duplex;
  resize(cols: number, rows: number): void;
}

export interface SshShellInfo {
  host: string;
  port: number;
  user: string;
  hostKey: HostKey;
  log?: Logger;
}

/**
 * One authenticated SSH connection to one box. Commands, SFTP, terminals and tunnels share it; it
 * never reconnects by itself (SshPool does that), it reports the drop and fails what was in flight.
 */
export class SshShell implements Shell {
  readonly kind = 'ssh' as const;
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly hostKey: HostKey;
  readonly #client: Client;
  readonly #sessions = new Semaphore(SESSIONS);
  readonly #log: Logger | undefined;
  readonly #dropListeners = new Set<(err: FieldlinkError) => void>();
  #alive = true;
  #closing = false;

  constructor(client: Client, info: SshShellInfo) {
    this.#client = client;
    this.host = info.host;
    this.port = info.port;
    this.user = info.user;
    this.hostKey = info.hostKey;
    this.#log = info.log;
    this.target = `${info.user}@${info.host}:${info.port}`;
    client.on('error', (err) => this.#log?.debug({ target: this.target, err: err.message }, 'ssh connection error'));
    client.on('close', () => this.#dropped());
    client.on('end', () => this.#dropped());
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Called once when the link is gone (dropped, keepalive timed out, or closed). */
  onDrop(cb: (err: FieldlinkError) => void): () => void {
    if (!this.#alive) {
      queueMicrotask(() => cb(linkDropped(this.target, 'the session')));
      return () => undefined;
    }
    this.#dropListeners.add(cb);
    return () => this.#dropListeners.delete(cb);
  }

  #dropped(): void {
    if (!this.#alive) return;
    this.#alive = false;
    if (!this.#closing) this.#log?.info({ target: this.target }, 'ssh link dropped');
    const err = this.#closing ? new FieldlinkError('ABORTED', `The connection to ${this.target} was closed.`, { target: this.target }) : linkDropped(this.target, 'the session');
    for (const cb of [...this.#dropListeners]) cb(err);
    this.#dropListeners.clear();
  }

  #assertAlive(what: string): void {
    if (!this.#alive) throw linkDropped(this.target, what);
  }

  /**
   * sshd frees a session slot a moment after the channel closes, so a busy connection can see a
   * transient "open failed" even under MaxSessions: retry that a few times before giving up.
   */
  async #openChannel<T>(what: string, open: (cb: (err: Error | undefined, ch: T) => void) => void, attach?: (ch: T) => void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#openChannelOnce(what, open, attach);
      } catch (err) {
        if (!(err instanceof FieldlinkError) || err.code !== 'REMOTE_FAILED' || attempt >= 6 || !this.#alive) throw err;
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
  }

  /**
   * `attach` runs inside ssh2's callback, before any await: a fast command's exit-status can arrive
   * in the same packet batch as the channel confirmation, and an 'exit' emitted before the listener
   * exists is lost for good.
   */
  #openChannelOnce<T>(what: string, open: (cb: (err: Error | undefined, ch: T) => void) => void, attach?: (ch: T) => void): Promise<T> {
    this.#assertAlive(what);
    return new Promise<T>((resolve, reject) => {
      const off = this.onDrop(() => reject(linkDropped(this.target, what)));
      try {
        open((err, ch) => {
          off();
          if (err) {
            reject(
              this.#alive
                ? new FieldlinkError('REMOTE_FAILED', `${this.target} refused to open a channel for ${what}: ${err.message}.`, { target: this.target })
                : linkDropped(this.target, what),
            );
          } else {
            attach?.(ch);
            resolve(ch);
          }
        });
      } catch (err) {
        off();
        reject(this.#alive ? new FieldlinkError('REMOTE_FAILED', `Cannot start ${what} on ${this.target}: ${(err as Error).message}.`) : linkDropped(this.target, what));
      }
    });
  }

  /**
   * Runs a command. The command is prefixed with one line that reports its process group on stderr
   * (with a per-command nonce, stripped before the caller sees stderr), because OpenSSH ignores
   * signal requests on non-pty sessions: cancelling kills that group over a second channel.
   */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    // Never the command text: it can carry a secret, and errors travel to the UI, logs and audit.
    const what = `on ${this.target}`;
    const dl = deadline(opts.signal, opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT);
    let release: (() => void) | undefined;
    try {
      this.#assertAlive(`the command ${what}`);
      release = await this.#sessions.acquire(dl.signal).catch(() => {
        throw dl.error(`The command ${what}`);
      });
      const nonce = randomBytes(8).toString('hex');
      const marker = `FLPID${nonce}=`;
      const wrapped = `printf '%s%s\\n' '${marker}' "$$" >&2\n${command}`;
      return await this.#runChannel((attach) => this.#openChannel<ClientChannel>(`the command ${what}`, (cb) => this.#client.exec(wrapped, cb), attach), marker, what, opts, dl);
    } finally {
      release?.();
      dl.dispose();
    }
  }

  #runChannel(
    openWith: (attach: (ch: ClientChannel) => void) => Promise<ClientChannel>,
    marker: string,
    what: string,
    opts: ExecOptions,
    dl: ReturnType<typeof deadline>,
  ): Promise<ExecResult> {
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = new TailBuffer(max);
    const err = new TailBuffer(max);
    let pid: number | null = null;
    let pidWaiters: Array<() => void> = [];
    let scan: Buffer | null = Buffer.alloc(0);
    const emitErr = (b: Buffer) => {
      if (b.length === 0) return;
      err.push(b);
      opts.onStderr?.(b);
    };
    return new Promise<ExecResult>((resolve, reject) => {
      let exit: { code: number | null; signal: string | null } | null = null;
      let settled = false;
      let abortErr: FieldlinkError | null = null;
      const finish = (e0: FieldlinkError | null) => {
        // Once cancelled, the command's death (which closes the channel) is the cancel working, not a result.
        const e = abortErr ?? e0;
        if (settled) return;
        settled = true;
        offDrop();
        dl.signal.removeEventListener('abort', onAbort);
        if (scan && scan.length) emitErr(scan);
        scan = null;
        if (e) return reject(e);
        if (!exit) {
          return reject(
            this.#alive
              ? new FieldlinkError('REMOTE_FAILED', `The command ${what} ended without an exit status.`, { target: this.target })
              : linkDropped(this.target, `the command ${what}`),
          );
        }
        resolve({ code: exit.code, signal: exit.signal, stdout: out.bytes(), stderr: err.bytes(), truncated: out.truncated || err.truncated });
      };
      let ch: ClientChannel | undefined;
      let stopWhenOpen = false;
      const offDrop = this.onDrop(() => finish(linkDropped(this.target, `the command ${what}`)));
      const onAbort = () => {
        const e = dl.error(`The command ${what}`);
        abortErr = e;
        if (!ch) {
          stopWhenOpen = true;
          return finish(e);
        }
        void this.#stopRemote(
          ch,
          () => pid,
          (w) => pidWaiters.push(w),
        ).finally(() => finish(e));
      };
      const attach = (c: ClientChannel) => {
        ch = c;
        listen(c);
      };
      const listen = (ch: ClientChannel) => {
        ch.on('data', (b: Buffer) => {
          out.push(b);
          opts.onStdout?.(b);
        });
        ch.stderr.on('data', (b: Buffer) => {
          if (!scan) return emitErr(b);
          scan = Buffer.concat([scan, b]);
          const at = scan.indexOf(marker);
          const nl = at >= 0 ? scan.indexOf(0x0a, at) : -1;
          if (at >= 0 && nl >= 0) {
            const n = Number(scan.subarray(at + marker.length, nl).toString('latin1'));
            if (Number.isInteger(n) && n > 1) pid = n;
            const rest = Buffer.concat([scan.subarray(0, at), scan.subarray(nl + 1)]);
            scan = null;
            for (const w of pidWaiters) w();
            pidWaiters = [];
            emitErr(rest);
          } else if (scan.length > PID_SCAN_LIMIT) {
            const all = scan;
            scan = null;
            emitErr(all);
          }
        });
        ch.on('exit', (code: number | null, signal?: string) => {
          exit = code !== null && code !== undefined ? { code, signal: null } : { code: null, signal: signal ? signal.replace(/^SIG/, '') : null };
        });
        ch.on('close', () => finish(null));
        ch.on('error', () => undefined);
        const stdin = opts.stdin;
        // End stdin always: a command that reads it must see EOF, not hang waiting for us.
        if (stdin !== undefined) ch.end(typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : Buffer.from(stdin.buffer, stdin.byteOffset, stdin.byteLength));
        else ch.end();
      };
      dl.signal.addEventListener('abort', onAbort, { once: true });
      openWith(attach).then(
        (c) => {
          // Cancelled while the channel was opening: stop what just started.
          if (stopWhenOpen)
            void this.#stopRemote(
              c,
              () => pid,
              (w) => pidWaiters.push(w),
            );
        },
        (e: unknown) => finish(e instanceof FieldlinkError ? e : new FieldlinkError('REMOTE_FAILED', String(e))),
      );
      if (dl.signal.aborted) onAbort();
    });
  }

  /** Stops a running command for real: TERM its process group, wait, then KILL; then close the channel. */
  async #stopRemote(ch: ClientChannel, getPid: () => number | null, waitPid: (w: () => void) => void): Promise<void> {
    if (getPid() === null && this.#alive) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 3000);
        waitPid(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const pid = getPid();
    if (pid !== null && this.#alive) {
      // No '--': dash's kill builtin rejects it, and a negative pid after the signal is portable.
      const script =
        `kill -TERM -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null; i=0; ` +
        `while [ $i -lt 30 ] && kill -0 -${pid} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ` +
        `kill -KILL -${pid} 2>/dev/null; true`;
      await this.#rawExec(script, 10_000).catch((e) => this.#log?.warn({ target: this.target, err: (e as Error).message }, 'could not stop the remote command'));
    } else {
      try {
        ch.signal('KILL');
      } catch {
        // Best effort only: without a pid there is nothing better to try.
      }
    }
    try {
      ch.close();
    } catch {
      // Already closed by the box.
    }
  }

  /** A bare command outside the session queue: used to kill, so it must never wait behind what it kills. */
  async #rawExec(command: string, timeoutMs: number): Promise<void> {
    const ch = await this.#openChannel<ClientChannel>('stopping a command', (cb) => this.#client.exec(command, cb));
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ch.close();
        resolve();
      }, timeoutMs);
      ch.on('data', () => undefined);
      ch.stderr.on('data', () => undefined);
      ch.on('close', () => {
        clearTimeout(t);
        resolve();
      });
      ch.end();
    });
  }

  /** An SFTP session from the shared session queue; release it when done. */
  async openSftp(signal: AbortSignal): Promise<{ sftp: SFTPWrapper; release: () => void }> {
    const release = await this.#sessions.acquire(signal);
    try {
      const sftp = await this.#openChannel<SFTPWrapper>('SFTP', (cb) => this.#client.sftp(cb));
      let done = false;
      return {
        sftp,
        release: () => {
          if (done) return;
          done = true;
          try {
            sftp.end();
          } catch {
            // The link is gone; nothing to end.
          }
          release();
        },
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  async put(path: string, data: Uint8Array, mode?: number, opts?: TransferOptions): Promise<void> {
    await sftpPut(this, path, data, mode, opts);
  }

  /** put, also saying whether it resumed a partial upload (and from which byte). */
  putResumable(path: string, data: Uint8Array, mode?: number, opts?: TransferOptions): Promise<{ resumedFrom: number }> {
    return sftpPut(this, path, data, mode, opts);
  }

  get(path: string, opts?: TransferOptions): Promise<Uint8Array> {
    return sftpGet(this, path, opts);
  }

  getToFile(remote: string, local: string, opts?: TransferOptions): Promise<{ resumedFrom: number; size: number; sha256: string }> {
    return sftpGetToFile(this, remote, local, opts);
  }

  /** A TCP stream to remoteHost:remotePort as seen from the box (direct-tcpip); the health tunnel. */
  forwardOut(remoteHost: string, remotePort: number): Promise<Duplex> {
    return this.#openChannel<ClientChannel>(`a tunnel to ${remoteHost}:${remotePort}`, (cb) => this.#client.forwardOut('127.0.0.1', 0, remoteHost, remotePort, cb));
  }

  /** An interactive PTY shell for the Console view. */
  async openTerminal(size: { cols: number; rows: number }): Promise<Terminal> {
    const release = await this.#sessions.acquire();
    try {
      const stream = await this.#openChannel<ClientChannel>('a terminal', (cb) => this.#client.shell({ term: 'xterm-256color', cols: size.cols, rows: size.rows }, cb));
      stream.once('close', release);
      return {
        stream,
        resize: (cols, rows) => {
          if (this.#alive) stream.setWindow(rows, cols, 0, 0);
        },
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (!this.#alive) return;
    this.#closing = true;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#client.destroy();
        resolve();
      }, 2000);
      this.#client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.#client.end();
    });
    this.#dropped();
  }
}
