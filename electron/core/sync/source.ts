import type { Readable } from 'node:stream';

/**
 * tus-js-client's source for one segment stream. Its own StreamSource cannot start past byte 0
 * ("slice start is outside of buffer"), and a resumed upload starts at the collector's offset; this
 * one reads and drops the bytes before it. It keeps only the current slice (a chunk) in memory, and
 * can hand out the same slice again (a re-sent PATCH), but never seeks back before it.
 */
export class SegmentStreamSource {
  readonly size: number;
  private readonly it: AsyncIterator<Buffer>;
  private readonly stream: Readable;
  /** Bytes read and kept, starting at stream position `bufStart`. */
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private ended = false;

  constructor(stream: Readable, size: number) {
    this.stream = stream;
    this.size = size;
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async slice(start: number, end: number): Promise<{ value: Buffer; done: boolean }> {
    if (start < this.bufStart) throw new Error(`cannot read segment bytes from ${start} again: the stream is past ${this.bufStart}`);
    end = Math.min(end, this.size);
    // Drop what lies before start, reading through it when it was never read.
    while (this.bufStart + this.buf.length < start && !this.ended) {
      this.bufStart += this.buf.length;
      this.buf = Buffer.alloc(0);
      await this.readMore();
    }
    this.buf = this.buf.subarray(Math.max(0, Math.min(this.buf.length, start - this.bufStart)));
    this.bufStart = start;
    if (this.buf.length < end - start) {
      // Gather the pieces and join once: a chunk of 4 MiB arrives in 64 KiB reads.
      const parts = [this.buf];
      let have = this.buf.length;
      while (have < end - start && !this.ended) {
        this.buf = Buffer.alloc(0);
        await this.readMore();
        parts.push(this.buf);
        have += this.buf.length;
      }
      this.buf = Buffer.concat(parts, have);
    }
    if (this.buf.length < end - start && end > start) throw new Error(`the segment ended at ${start + this.buf.length} bytes, before its size ${this.size}`);
    const value = Buffer.from(this.buf.subarray(0, end - start)) as Buffer & { size: number };
    value.size = value.length; // tus-js-client reads a slice's length from .size, as its own sources set it
    return { value, done: end >= this.size };
  }

  private async readMore(): Promise<void> {
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  close(): void {
    this.stream.destroy();
  }
}
