import { FieldlinkError } from '../../../../shared/errors.ts';
import { safeLines, stripEscapeSequences } from '../../../../shared/text.ts';

/*
 * What comes off a console is untrusted bytes mixed from three writers: the box's shell (our framed
 * replies), the kernel (printk lines dropped in at any byte position, even mid-line) and whatever
 * else holds the tty. Everything the framed protocol prints is ASCII, so bytes are kept as latin1
 * text (one char per byte, nothing lost) and cleaned line by line before any parser sees them.
 */

/**
 * A kernel console line ("[   12.345678] usb 1-1: …") and its line end. printk can start in the
 * middle of another line, so the match is not anchored: removing it with its own LF rejoins the
 * line it interrupted exactly.
 */
const KERNEL_LINE = /\[\s*\d{1,10}\.\d{1,9}\][^\n]*\n/g;

/** Longest run without a newline that is held back waiting for its end; a flood beyond it is passed on. */
const MAX_PENDING = 64 * 1024;
/** Text nobody is waiting for (between commands) is dropped past this, oldest first. */
const MAX_QUEUED = 4 * 1024 * 1024;

export function stripKernelLines(text: string): string {
  return text.replace(KERNEL_LINE, '');
}

/** Colours, title changes, bracketed-paste toggles out of the byte stream, by shared/text.ts's rules. */
export function stripEscapes(text: string): string {
  return stripEscapeSequences(text);
}

/**
 * Console text as a person would read it: the bytes decoded as the UTF-8 the box wrote, kernel lines
 * dropped, then shared/text.ts's sanitiser (no escapes, CRs, control bytes or invisible characters).
 * Not bounded: callers cut what they show.
 */
export function readable(text: string): string {
  return safeLines(Buffer.from(stripKernelLines(text), 'latin1').toString('utf8'), Number.POSITIVE_INFINITY);
}

/**
 * Receives console bytes and hands cleaned text to one reader at a time. Complete lines are cleaned
 * and queued; the unfinished last line (a "login: " prompt has no newline) is visible through
 * `tail()` so login automation can react to it before it ends.
 */
export class ConsoleReceiver {
  /** Kernel lines removed so far (diagnostics, and proof for tests that noise really came). */
  kernelLines = 0;
  #pending = '';
  #queue: string[] = [];
  #queued = 0;
  #dropped = false;
  #failure: FieldlinkError | null = null;
  #wake: (() => void) | null = null;
  #failureListeners = new Set<(err: FieldlinkError) => void>();
  /** Raw bytes go here instead while a terminal is attached. */
  #tap: ((chunk: Uint8Array) => void) | null = null;

  push(chunk: Uint8Array): void {
    if (this.#tap) {
      this.#tap(chunk);
      return;
    }
    this.#pending += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const cut = this.#pending.lastIndexOf('\n');
    if (cut >= 0) {
      const lines = this.#pending.slice(0, cut + 1);
      const cleaned = stripKernelLines(lines);
      if (cleaned.length !== lines.length) this.kernelLines += (lines.match(KERNEL_LINE) ?? []).length;
      this.#enqueue(stripEscapes(cleaned));
      this.#pending = this.#pending.slice(cut + 1);
    } else if (this.#pending.length > MAX_PENDING) {
      this.#enqueue(stripEscapes(this.#pending));
      this.#pending = '';
    }
    this.#notify();
  }

  /** The link is gone: every waiting and future read fails with this at once. */
  fail(err: FieldlinkError): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#notify();
    for (const l of [...this.#failureListeners]) l(err);
  }

  /** Someone who is not reading (an attached terminal) still hears the cable go. */
  onFailure(listener: (err: FieldlinkError) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  get failure(): FieldlinkError | null {
    return this.#failure;
  }

  /** The unfinished last line, cleaned of escapes. */
  tail(): string {
    return stripEscapes(this.#pending);
  }

  /** Forgets everything received so far: what a new exchange reads must come after what it sent. */
  clear(): void {
    this.#queue = [];
    this.#queued = 0;
    this.#pending = '';
    this.#dropped = false;
  }

  /** True when text was dropped for want of a reader since the last clear(). */
  get dropped(): boolean {
    return this.#dropped;
  }

  setTap(tap: ((chunk: Uint8Array) => void) | null): void {
    this.#tap = tap;
    if (tap) this.clear();
  }

  /**
   * The next cleaned text, or '' when only the unfinished line moved. Rejects with TIMEOUT at
   * `deadline`, ABORTED on `signal`, LINK_DOWN when the cable goes.
   */
  async read(deadline: number, signal?: AbortSignal, what = 'the box to answer'): Promise<string> {
    const tailBefore = this.#pending;
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#queue.length > 0) {
        const text = this.#queue.join('');
        this.#queue = [];
        this.#queued = 0;
        return text;
      }
      if (this.#pending !== tailBefore) return '';
      if (signal?.aborted) throw new FieldlinkError('ABORTED', 'Cancelled.');
      const left = deadline - Date.now();
      if (left <= 0) throw new FieldlinkError('TIMEOUT', `Timed out waiting for ${what} on the serial console.`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = () => done();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#wake = done;
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
      this.#wake = null;
    }
  }

  #enqueue(text: string): void {
    if (text.length === 0) return;
    this.#queue.push(text);
    this.#queued += text.length;
    while (this.#queued > MAX_QUEUED && this.#queue.length > 1) {
      this.#queued -= this.#queue.shift()!.length;
      this.#dropped = true;
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }
}
