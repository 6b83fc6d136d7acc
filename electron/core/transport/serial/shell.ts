import { FieldlinkError } from '../../../../shared/errors.ts';
import type { Logger } from '../../log/index.ts';
import type { ExecOptions, ExecResult, Shell, TransferOptions } from '../shell.ts';
import { Base64Stream, FrameReader, newNonce } from './frames.ts';
import { TailBuffer } from '../output.ts';
import { SerialLink } from './link.ts';
import { loginAndSetup, type SerialCredentials } from './login.ts';
import { execScript, restoreScript, typed, typedStdinFile } from './scripts.ts';
import { getFile, putFile, takePendingEndKeys, type TransferState } from './transfer.ts';
import { attachTerminal, type SerialTerminal } from './terminal.ts';

export interface SerialOpenOptions {
  /** The device, e.g. /dev/ttyUSB0, COM3, or a /dev/serial/by-id/… link (reported as the target). */
  path: string;
  /** 8N1 at this rate; default 115200. */
  baud?: number;
  /** From the trust store or the box's profile; never logged. */
  credentials?: SerialCredentials;
  signal?: AbortSignal;
  /** Bound on opening and logging in; default 45 s. */
  timeoutMs?: number;
  /** Bound on reaching a prompt once the console answers; default timeoutMs. */
  promptTimeoutMs?: number;
  /** Default per-command bound when exec() is given none; default 120 s. */
  execTimeoutMs?: number;
  log?: Logger;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;
const BOUNCE_MS = 3000;
/** How long an interrupted command gets to give the prompt back before the shell logs in afresh. */
const RECOVER_MS = 30_000;

/**
 * Opens a box's serial console, logs in and returns a Shell on it. The port is held exclusively
 * (OS lock and one opener per device in this process) until close().
 */
export async function openSerial(opts: SerialOpenOptions): Promise<SerialShell> {
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const deadline = Date.now() + Math.min(timeoutMs, opts.promptTimeoutMs ?? timeoutMs);
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    const link = await SerialLink.open(opts.path, opts.baud ?? 115200, opts.signal);
    const shell = new SerialShell(link, opts);
    try {
      await shell.connect(deadline, opts.signal);
      return shell;
    } catch (err) {
      await link.close();
      // An adapter that was just plugged (or a device node that was just re-made) can vanish once
      // in its first moments; the next one under the same by-id name is the real one.
      const bounced = err instanceof FieldlinkError && err.code === 'LINK_DOWN' && Date.now() - started < BOUNCE_MS;
      if (!bounced || attempt > 0) throw err;
      opts.log?.info({ path: opts.path }, 'serial device went away right after opening; opening it again');
      // A held timer, not sleep(): with the port closed it is the only thing keeping a CLI process
      // alive, and an unref'd one let `fieldlink exec serial:…` exit mid-retry with no answer at all.
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

type State = 'login' | 'ready' | 'closed';

export class SerialShell implements Shell {
  readonly kind = 'serial' as const;
  readonly target: string;
  readonly baud: number;
  #link: SerialLink;
  #credentials: SerialCredentials | undefined;
  #log: Logger | undefined;
  #execTimeoutMs: number;
  #state: State = 'login';
  #queue: Promise<unknown> = Promise.resolve();
  #terminal: SerialTerminal | null = null;
  #transfer: TransferState = { rawBroken: false, hasTimeout: null };

  constructor(link: SerialLink, opts: SerialOpenOptions) {
    this.#link = link;
    this.target = link.identity.target;
    this.baud = link.baud;
    this.#credentials = opts.credentials;
    this.#log = opts.log?.child({ transport: 'serial', target: link.identity.target });
    this.#execTimeoutMs = opts.execTimeoutMs ?? 120_000;
  }

  /** The device node behind the target (changes when a by-id link is re-pointed after replug). */
  get device(): string {
    return this.#link.identity.device;
  }

  /** Kernel console lines that were cut out of this console's output so far. */
  get kernelLinesRemoved(): number {
    return this.#link.rx.kernelLines;
  }

  /** False once the cable is gone or close() ran: open a new shell then. */
  get connected(): boolean {
    return this.#state !== 'closed' && !this.#link.down;
  }

  async connect(deadline: number, signal?: AbortSignal): Promise<void> {
    await this.#serialized(() => this.#ensureReady(deadline, signal));
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (typeof command !== 'string' || command.length === 0 || command.length > 256 * 1024) {
      return Promise.reject(new FieldlinkError('BAD_REQUEST', 'A command is a non-empty string of at most 256 KiB.'));
    }
    return this.#serialized(async () => {
      const deadline = Date.now() + (opts.timeoutMs ?? this.#execTimeoutMs);
      await this.#ensureReady(deadline, opts.signal);
      return this.#exec(command, opts, deadline);
    });
  }

  put(path: string, data: Uint8Array, mode = 0o644, opts: TransferOptions = {}): Promise<void> {
    const bad = pathProblem(path) ?? (data instanceof Uint8Array ? null : 'The data to upload must be bytes (Uint8Array).');
    if (bad) return Promise.reject(new FieldlinkError('BAD_REQUEST', bad));
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) return Promise.reject(new FieldlinkError('BAD_REQUEST', 'A file mode is an integer from 0 to 0o7777.'));
    return this.#serialized(async () => {
      const deadline = Date.now() + (opts.timeoutMs ?? transferBudgetMs(data.byteLength, this.baud));
      await this.#ensureReady(deadline, opts.signal);
      await this.#guard(() => putFile({ ...this.#transferContext(deadline, opts), path, data, mode }));
    });
  }

  get(path: string, opts: TransferOptions = {}): Promise<Uint8Array> {
    const bad = pathProblem(path);
    if (bad) return Promise.reject(new FieldlinkError('BAD_REQUEST', bad));
    return this.#serialized(async () => {
      const deadline = Date.now() + (opts.timeoutMs ?? transferBudgetMs(16 * 1024 * 1024, this.baud));
      await this.#ensureReady(deadline, opts.signal);
      return this.#guard(() => getFile({ ...this.#transferContext(deadline, opts), path }));
    });
  }

  /**
   * Hands the console to a person (the Console view): raw bytes both ways, their echo and prompt
   * back. While it is attached exec/put/get fail with CONFLICT; after detach() the next call logs in
   * again, since the person may have left the console anywhere.
   */
  openTerminal(): Promise<SerialTerminal> {
    return this.#serialized(async () => {
      if (this.#state === 'ready') {
        await this.#link.write(typed(restoreScript()));
        await this.#link.write('\r');
      }
      this.#state = 'login';
      this.#terminal = attachTerminal(this.#link, () => {
        this.#terminal = null;
      });
      return this.#terminal;
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#terminal?.detach();
    const wasReady = this.#state === 'ready';
    this.#state = 'closed';
    // Leave the console as a person expects it (echo on, their prompt) if it is still ours.
    await Promise.race([this.#queue.catch(() => undefined), sleep(2000)]);
    if (wasReady && !this.#link.down) await Promise.race([this.#link.write(typed(restoreScript())).catch(() => undefined), sleep(1000)]);
    await this.#link.close();
  }

  async #exec(command: string, opts: ExecOptions, deadline: number): Promise<ExecResult> {
    const rx = this.#link.rx;
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = new TailBuffer(max);
    const err = new TailBuffer(max);
    const outStream = new Base64Stream((b) => {
      out.push(b);
      opts.onStdout?.(b);
    });
    const errStream = new Base64Stream((b) => {
      err.push(b);
      opts.onStderr?.(b);
    });
    const nonce = newNonce();
    const frames = new FrameReader(nonce);
    return this.#guard(async () => {
      rx.clear();
      const stdin = opts.stdin === undefined ? undefined : typeof opts.stdin === 'string' ? Buffer.from(opts.stdin, 'utf8') : opts.stdin;
      if (stdin) await this.#writeBounded(typedStdinFile(stdin), deadline, opts.signal);
      await this.#link.write(typed(execScript(nonce, command, stdin !== undefined)));
      let section: 'pre' | 'out' | 'err' = 'pre';
      for (;;) {
        const text = await rx.read(deadline, opts.signal, 'the command to finish');
        for (const ev of frames.feed(text)) {
          if (ev.kind === 'data') {
            if (section === 'out') outStream.push(ev.b64);
            else if (section === 'err') errStream.push(ev.b64);
            continue;
          }
          if (ev.tag === 'S') section = 'out';
          else if (ev.tag === 'M') {
            outStream.end();
            section = 'err';
          } else if (ev.tag === 'E') {
            errStream.end();
            const code = /^\d{1,3}$/.test(ev.fields[0] ?? '') ? Number(ev.fields[0]) : null;
            if (code === null) throw new FieldlinkError('PROTOCOL', 'The box did not report the exit status of the command.');
            return { code, signal: null, stdout: out.bytes(), stderr: err.bytes(), truncated: out.truncated || err.truncated };
          }
        }
      }
    });
  }

  #transferContext(deadline: number, opts: TransferOptions) {
    return {
      link: this.#link,
      state: this.#transfer,
      deadline,
      signal: opts.signal,
      onProgress: opts.onProgress,
      log: this.#log,
      recover: () => this.#recover(),
    };
  }

  /** Gets the prompt back after an interrupted exchange (^C first), or leaves the shell to log in afresh. */
  async #recover(): Promise<void> {
    this.#state = 'login';
    await loginAndSetup({ link: this.#link, credentials: this.#credentials, deadline: Date.now() + RECOVER_MS, log: this.#log, wake: '\x03' });
    this.#state = 'ready';
  }

  /** Writes long input in pieces so a timeout or cancel is noticed while a slow line drains. */
  async #writeBounded(text: string, deadline: number, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < text.length; i += 4096) {
      if (signal?.aborted) throw new FieldlinkError('ABORTED', 'Cancelled.');
      if (Date.now() > deadline) throw new FieldlinkError('TIMEOUT', 'Timed out sending input over the serial console.');
      await this.#link.write(text.slice(i, i + 4096));
    }
  }

  /**
   * Runs one exchange; if it times out, is cancelled or the console says something unreadable, the
   * command on the box is interrupted (^C) and the shell recovered before the error is passed on,
   * so the process really stopped and the next call finds a clean prompt.
   */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err instanceof FieldlinkError ? err : new FieldlinkError('INTERNAL', 'Serial shell failure.', undefined, { cause: err });
      if (e.code === 'LINK_DOWN') {
        this.#state = 'closed';
        throw e;
      }
      this.#state = 'login';
      if (!this.#link.down) {
        try {
          await this.#recover();
        } catch (recoverErr) {
          this.#log?.warn({ code: (recoverErr as FieldlinkError).code }, 'serial shell did not come back after an interrupted command');
        }
      }
      throw e;
    }
  }

  async #ensureReady(deadline: number, signal?: AbortSignal): Promise<void> {
    if (this.#state === 'closed') throw new FieldlinkError('LINK_DOWN', `The console ${this.target} is closed. Open it again.`);
    if (this.#terminal) throw new FieldlinkError('CONFLICT', `A terminal is attached to ${this.target}. Close the console view first.`);
    const failure = this.#link.rx.failure;
    if (failure) {
      this.#state = 'closed';
      throw failure;
    }
    if (this.#state === 'ready') return;
    const endKeys = takePendingEndKeys(this.target);
    await loginAndSetup({ link: this.#link, credentials: this.#credentials, deadline, signal, log: this.#log, drainKeys: endKeys });
    this.#state = 'ready';
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function pathProblem(p: unknown): string | null {
  if (typeof p !== 'string' || p.length === 0 || p.length > 4096 || /[\0\n\r]/.test(p) || !p.startsWith('/')) {
    return 'A path on the box must be absolute, at most 4096 bytes, without NUL or line breaks.';
  }
  return null;
}

/** A line that moves baud/10 bytes a second, three times over plus a minute, for a file of `bytes`. */
function transferBudgetMs(bytes: number, baud: number): number {
  return Math.ceil(((bytes * 1.4) / (baud / 10)) * 3 * 1000) + 60_000;
}

/** A wait that never keeps the process alive by itself (for races beside real work). */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
