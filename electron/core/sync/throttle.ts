import { Transform, type TransformCallback } from 'node:stream';

/**
 * A bandwidth cap as a stream: bytes pass no faster than `bytesPerSecond` on average, in slices of
 * about 1/20 s so a cap never turns into one long stall then a burst. The first `freeBytes` pass at
 * once: a resumed upload reads (and skips) what the collector already has, and that costs no uplink.
 */
export class Throttle extends Transform {
  private readonly rate: number;
  private readonly slice: number;
  private free: number;
  private started = 0;
  private paced = 0;

  constructor(bytesPerSecond: number, freeBytes = 0) {
    super({ highWaterMark: 64 * 1024 });
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
    this.rate = bytesPerSecond;
    this.slice = Math.max(1024, Math.floor(bytesPerSecond / 20));
    this.free = freeBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let rest = chunk;
    if (this.free > 0) {
      const n = Math.min(this.free, rest.length);
      this.push(rest.subarray(0, n));
      this.free -= n;
      rest = rest.subarray(n);
    }
    const next = (): void => {
      if (rest.length === 0) return done();
      if (this.started === 0) this.started = Date.now();
      const piece = rest.subarray(0, this.slice);
      rest = rest.subarray(piece.length);
      this.paced += piece.length;
      const due = this.started + (this.paced / this.rate) * 1000;
      const wait = due - Date.now();
      const send = (): void => {
        this.push(piece);
        next();
      };
      if (wait > 0) setTimeout(send, wait);
      else send();
    };
    next();
  }
}
