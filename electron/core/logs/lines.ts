/**
 * Bytes from a box into lines, with a hard cap: a line longer than `max` bytes (a 1 GB line with no
 * newline, a binary file read as text) comes out as bounded pieces, each but the last ending with
 * CUT_MARKER, so memory stays flat whatever the box sends. Cuts fall on UTF-8 character boundaries.
 */
export const MAX_LINE_BYTES = 64 * 1024;
export const CUT_MARKER = ' [fieldlink: line cut here, continues on the next line]';

export class LineSplitter {
  readonly #onLine: (line: string, cut: boolean, bytes: number) => void;
  readonly #max: number;
  #pending: Buffer = Buffer.alloc(0);

  /** `bytes` is how many input bytes the line used up (its newline too): a resumable reader's offset step. */
  constructor(onLine: (line: string, cut: boolean, bytes: number) => void, max = MAX_LINE_BYTES) {
    this.#onLine = onLine;
    this.#max = Math.max(16, max);
  }

  /** Bytes held for a line not yet ended (at most `max`): what a resumable reader has not consumed. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): void {
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const nl = b.indexOf(0x0a, start);
      if (nl < 0) {
        this.#hold(b.subarray(start));
        return;
      }
      this.#emit(this.#pending.length ? Buffer.concat([this.#pending, b.subarray(start, nl)]) : b.subarray(start, nl), 1);
      this.#pending = Buffer.alloc(0);
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline is a line too. */
  end(): void {
    if (this.#pending.length) this.#emit(this.#pending, 0);
    this.#pending = Buffer.alloc(0);
  }

  /** Drops what is held (the reader will read it again next time). */
  discard(): void {
    this.#pending = Buffer.alloc(0);
  }

  #hold(rest: Buffer): void {
    if (rest.length === 0) return;
    let all = this.#pending.length ? Buffer.concat([this.#pending, rest]) : Buffer.from(rest);
    while (all.length > this.#max) {
      const at = boundary(all, this.#max);
      this.#onLine(`${all.subarray(0, at).toString('utf8')}${CUT_MARKER}`, true, at);
      all = all.subarray(at);
    }
    // A copy, so the box's chunk (possibly large) is not kept alive by a small view of it.
    this.#pending = Buffer.from(all);
  }

  #emit(line: Buffer, newline: number): void {
    const cr = line.length && line[line.length - 1] === 0x0d ? 1 : 0;
    let rest = line.subarray(0, line.length - cr);
    while (rest.length > this.#max) {
      const at = boundary(rest, this.#max);
      this.#onLine(`${rest.subarray(0, at).toString('utf8')}${CUT_MARKER}`, true, at);
      rest = rest.subarray(at);
    }
    this.#onLine(rest.toString('utf8'), false, rest.length + cr + newline);
  }
}

/** The largest cut ≤ max that does not split a UTF-8 sequence (continuation bytes are 10xxxxxx). */
function boundary(b: Buffer, max: number): number {
  let at = max;
  for (let i = 0; i < 3 && at > 1 && (b[at]! & 0xc0) === 0x80; i++) at--;
  return at;
}
