import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { FieldlinkError } from '../../../../shared/errors.ts';
import { serialByIdDirs, serialDeviceProblem, serialPathProblem } from '../target.ts';
import { ConsoleReceiver } from './console-text.ts';

export interface SerialIdentity {
  /** What the technician should see and what the inventory keys on: the by-id link when there is one. */
  target: string;
  /** The device node that is actually opened (a by-id link's pty or ttyUSB can change on replug). */
  device: string;
}

/** Resolves a path to the device it names and the stable by-id name that points at it. */
export function resolveIdentity(p: string, byIdDirs: string[] = serialByIdDirs()): SerialIdentity {
  if (process.platform === 'win32') return { target: p, device: p };
  let device: string;
  try {
    device = fs.realpathSync(p);
  } catch {
    throw new FieldlinkError('NOT_FOUND', `No serial device at ${p}. Is the USB-serial cable plugged in?`, { path: p });
  }
  if (byIdDirs.some((d) => path.dirname(p) === d)) return { target: p, device };
  for (const dir of byIdDirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const link = path.join(dir, name);
      try {
        if (fs.realpathSync(link) === device) return { target: link, device };
      } catch {
        // A dangling link from an adapter that was pulled: not ours.
      }
    }
  }
  return { target: p, device };
}

const APPEAR_MS = 2000;
const CLOSE_WAIT_MS = 2000;

/**
 * Devices this process has open: a second opener inside Fieldlink is refused before the OS lock is
 * tried, unless the holder only peeks (discovery reading a login prompt), which gives way at once.
 */
const openDevices = new Map<string, { yields: boolean; link?: SerialLink }>();

/**
 * One open serial port: exclusive, 8N1, raw on our side. Bytes in go to a ConsoleReceiver; a pulled
 * cable fails every pending and later read or write with LINK_DOWN at once.
 */
export class SerialLink {
  readonly identity: SerialIdentity;
  readonly baud: number;
  readonly rx = new ConsoleReceiver();
  #port: SerialPort;
  #closing = false;
  #closed: Promise<void> | undefined;
  #portClosed: Promise<void> | undefined;
  #downListeners = new Set<(err: FieldlinkError) => void>();

  private constructor(identity: SerialIdentity, baud: number, port: SerialPort) {
    this.identity = identity;
    this.baud = baud;
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.rx.push(chunk));
    port.on('error', () => this.#down());
    port.on('close', () => this.#down());
  }

  /** `yields`: this opener only peeks, and closes the port the moment someone else opens it. */
  static async open(p: string, baud: number, signal?: AbortSignal, opts: { yields?: boolean } = {}): Promise<SerialLink> {
    // The same rule as a typed serial: target, for callers that pass a path (the last gate).
    const problem = serialPathProblem(p);
    if (problem) throw new FieldlinkError('BAD_REQUEST', problem, { path: p.slice(0, 200) });
    // A USB adapter re-enumerates for a moment after a replug or a close (udev, or the lab's socat,
    // makes the by-id link again): a device that is briefly absent is waited for, not refused.
    let identity: SerialIdentity;
    for (const until = Date.now() + APPEAR_MS; ;) {
      try {
        identity = resolveIdentity(p);
        break;
      } catch (err) {
        if (Date.now() > until || signal?.aborted) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (process.platform !== 'win32') {
      let isChar = false;
      try {
        isChar = fs.statSync(identity.device).isCharacterDevice();
      } catch {
        // Gone between resolving and here: reported as not a serial device, like any other.
      }
      const bad = serialDeviceProblem(p, identity.device, isChar);
      if (bad) throw new FieldlinkError('BAD_REQUEST', bad, { path: p.slice(0, 200) });
    }
    const holder = openDevices.get(identity.device);
    if (holder?.yields && !opts.yields) {
      for (const until = Date.now() + 500; !holder.link && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
      await holder.link?.close();
    }
    if (openDevices.has(identity.device)) {
      throw new FieldlinkError('CONFLICT', `${identity.target} is already open in Fieldlink (a console or a command is using it). Close it first.`, {
        path: identity.target,
      });
    }
    if (signal?.aborted) throw new FieldlinkError('ABORTED', 'Cancelled.');
    const entry: { yields: boolean; link?: SerialLink } = { yields: Boolean(opts.yields) };
    openDevices.set(identity.device, entry);
    const port = new SerialPort({ path: identity.device, baudRate: baud, dataBits: 8, stopBits: 1, parity: 'none', lock: true, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      openDevices.delete(identity.device);
      throw openError(identity.target, err);
    }
    entry.link = new SerialLink(identity, baud, port);
    return entry.link;
  }

  get down(): boolean {
    return this.rx.failure !== null;
  }

  /** Resolves when the OS has taken the bytes; rejects with LINK_DOWN the moment the cable goes. */
  write(bytes: Uint8Array | string): Promise<void> {
    const failure = this.rx.failure;
    if (failure) return Promise.reject(failure);
    return new Promise<void>((resolve, reject) => {
      const onDown = (err: FieldlinkError) => finish(err);
      this.#downListeners.add(onDown);
      const finish = (err?: FieldlinkError | null) => {
        this.#downListeners.delete(onDown);
        if (err) reject(err);
        else resolve();
      };
      this.#port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes), (err) =>
        finish(err ? (this.rx.failure ?? linkDown(this.identity.target)) : null),
      );
    });
  }

  /** Closes the port; every caller (a second one included) resolves once it really is closed. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.rx.fail(new FieldlinkError('LINK_DOWN', `The serial console ${this.identity.target} was closed.`));
    await this.#closePort();
    openDevices.delete(this.identity.device);
  }

  /**
   * Closes the port once, however many ask: a second close while the first is under way can leave
   * the binding's promise unsettled for good (seen after a cable bounced right after opening), so
   * everyone waits on the first, and never longer than CLOSE_WAIT_MS.
   */
  #closePort(): Promise<void> {
    this.#portClosed ??= this.#port.isOpen
      ? new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, CLOSE_WAIT_MS);
          this.#port.close(() => {
            clearTimeout(timer);
            resolve();
          });
        })
      : Promise.resolve();
    return this.#portClosed;
  }

  #down(): void {
    if (!this.#closing) {
      const err = linkDown(this.identity.target);
      this.rx.fail(err);
      for (const l of [...this.#downListeners]) l(err);
      // A write error leaves the fd open: release it so a replugged cable can be opened again.
      void this.#closePort();
    }
    openDevices.delete(this.identity.device);
  }
}

function linkDown(target: string): FieldlinkError {
  return new FieldlinkError('LINK_DOWN', `The serial cable to ${target} was disconnected. Plug it back in and open the console again.`, {
    path: target,
  });
}

function openError(target: string, err: unknown): FieldlinkError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/lock/i.test(msg)) {
    return new FieldlinkError('CONFLICT', `${target} is in use by another program (it holds the port lock). Close the other terminal first.`, { path: target });
  }
  if (/ENOENT|No such file/i.test(msg)) return new FieldlinkError('NOT_FOUND', `No serial device at ${target}. Is the cable plugged in?`, { path: target });
  if (/EACCES|permission/i.test(msg)) {
    return new FieldlinkError('CONFLICT', `No permission to open ${target}. On Linux, add your user to the dialout group.`, { path: target });
  }
  return new FieldlinkError('LINK_DOWN', `Could not open ${target}: ${msg.slice(0, 200)}`, { path: target });
}
