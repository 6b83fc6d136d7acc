import fs from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  /** The live file, e.g. <dataDir>/logs/fieldlink.log. Its folder is made (0700) if missing. */
  file: string;
  /** The live file is rotated before a write would take it past this size. */
  maxBytes?: number;
  /** Rotated files kept beside it: fieldlink.1.log (newest) … fieldlink.<keep>.log (oldest). */
  keep?: number;
}

export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_KEEP = 3;

/**
 * A pino destination that appends to one file and rotates it by size, so a laptop that runs
 * Fieldlink for months keeps at most (keep + 1) × maxBytes of logs.
 *
 * Writes are synchronous, like the stderr destination: the line that explains a crash is on disk
 * before the process goes. Rotated names keep the extension (fieldlink.1.log) so they open with a
 * double click on Windows. The Electron app and a browser host may share one data folder: before
 * rotating, the file on disk is compared with the one held open, and when another process has
 * already rotated it this one just reopens the new file (so with two writers a rotated file can hold
up to about twice maxBytes: still bounded). Writing never throws: a full or read-only
 * disk costs log lines, not the app.
 */
export class RotatingFile {
  readonly file: string;
  readonly maxBytes: number;
  readonly keep: number;
  #fd: number | null = null;
  #size = 0;

  constructor(opts: RotatingFileOptions) {
    this.file = path.resolve(opts.file);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keep = opts.keep ?? DEFAULT_KEEP;
    if (!(this.maxBytes > 0) || !Number.isInteger(this.keep) || this.keep < 1) throw new RangeError('RotatingFile needs maxBytes > 0 and keep >= 1');
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Opening fails loudly here (the caller decides what to do); later failures are swallowed.
    this.#open();
  }

  /** The name of rotated file n (1 is the newest). */
  rotatedName(n: number): string {
    const ext = path.extname(this.file);
    return `${this.file.slice(0, this.file.length - ext.length)}.${n}${ext}`;
  }

  write(chunk: string): boolean {
    const bytes = Buffer.byteLength(chunk);
    try {
      if (this.#fd === null) this.#open();
      if (this.#size > 0 && this.#size + bytes > this.maxBytes) this.#rotate(bytes);
      fs.writeSync(this.#fd!, chunk);
      this.#size += bytes;
    } catch {
      // Nowhere left to report it; try to reopen on the next line.
      this.#close();
    }
    return true;
  }

  /** pino calls these on flush and on exit; writes are synchronous, so there is nothing to wait for. */
  flushSync(): void {}

  end(): void {
    this.#close();
  }

  #open(): void {
    this.#fd = fs.openSync(this.file, 'a', 0o600);
    this.#size = fs.fstatSync(this.#fd).size;
  }

  #close(): void {
    if (this.#fd === null) return;
    try {
      fs.closeSync(this.#fd);
    } catch {
      // already gone
    }
    this.#fd = null;
  }

  #rotate(incoming: number): void {
    const held = fs.fstatSync(this.#fd!);
    const onDisk = fs.statSync(this.file, { throwIfNoEntry: false });
    if (!onDisk || onDisk.ino !== held.ino || onDisk.dev !== held.dev) {
      // Someone else rotated (or removed) it: follow the live file rather than rotate again.
      this.#close();
      this.#open();
      if (this.#size === 0 || this.#size + incoming <= this.maxBytes) return;
    }
    this.#close();
    for (let n = this.keep - 1; n >= 1; n--) renameIfThere(this.rotatedName(n), this.rotatedName(n + 1));
    renameIfThere(this.file, this.rotatedName(1));
    this.#open();
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
