/**
 * Keeps the last `max` bytes of a stream: a command that floods output costs at most `max` bytes of
 * memory, and the tail (where errors usually are) survives.
 */
export class TailBuffer {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;

  constructor(max: number) {
    this.#max = Math.max(0, max);
  }

  push(bytes: Uint8Array): void {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (chunk.length === 0) return;
    if (chunk.length >= this.#max) {
      this.truncated = this.truncated || chunk.length > this.#max || this.#size > 0;
      this.#chunks = this.#max > 0 ? [Buffer.from(chunk.subarray(chunk.length - this.#max))] : [];
      this.#size = this.#max;
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.#max) {
      this.truncated = true;
      const head = this.#chunks[0]!;
      const over = this.#size - this.#max;
      if (head.length <= over) {
        this.#chunks.shift();
        this.#size -= head.length;
      } else {
        this.#chunks[0] = head.subarray(over);
        this.#size -= over;
      }
    }
  }

  get size(): number {
    return this.#size;
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.#chunks, this.#size);
  }
}
