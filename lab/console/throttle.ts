/**
 * One direction of a serial line: bytes leave at most at `bytesPerSecond` (baud / 10 for 8N1: a start
 * bit, eight data bits and a stop bit per byte), in order, untouched (8-bit clean).
 *
 * The queue is bounded like a UART's FIFO: above `highWater` the producer is told to pause, which
 * stalls the writer on the box the way a real tty write blocks at line speed.
 */
export interface ThrottleOptions {
  bytesPerSecond: number;
  deliver: (chunk: Buffer) => void;
  pause?: () => void;
  resume?: () => void;
  highWater?: number;
  /** Tick length; 10 ms keeps bursts small at 115200 (115 bytes) without a busy timer. */
  tickMs?: number;
  now?: () => number;
}

export class Throttle {
  private readonly opts: Required<Omit<ThrottleOptions, 'pause' | 'resume'>> & Pick<ThrottleOptions, 'pause' | 'resume'>;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private credit = 0;
  private closed = false;

  constructor(opts: ThrottleOptions) {
    if (!(opts.bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
    this.opts = { highWater: 4096, tickMs: 10, now: () => performance.now(), ...opts };
  }

  get length(): number {
    return this.queued;
  }

  push(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.paused && this.queued >= this.opts.highWater) {
      this.paused = true;
      this.opts.pause?.();
    }
    if (!this.timer) {
      this.last = this.opts.now();
      this.credit = 0;
      this.timer = setInterval(() => this.tick(), this.opts.tickMs);
      this.tick();
    }
  }

  /** Drops what is queued (cable pulled, box rebooted): bytes in flight on a dead line are lost. */
  clear(): void {
    this.queue.length = 0;
    this.queued = 0;
    this.stopTimer();
    this.release();
  }

  close(): void {
    this.clear();
    this.closed = true;
  }

  private tick(): void {
    const now = this.opts.now();
    this.credit += ((now - this.last) / 1000) * this.opts.bytesPerSecond;
    this.last = now;
    // Unused time is not banked beyond one tick: an idle line does not earn a burst.
    const cap = Math.max(1, (this.opts.bytesPerSecond * this.opts.tickMs) / 1000) * 2;
    if (this.credit > cap) this.credit = cap;
    let budget = Math.floor(this.credit);
    while (budget > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = Math.min(budget, head.length);
      const part = n === head.length ? head : head.subarray(0, n);
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      this.queued -= n;
      budget -= n;
      this.credit -= n;
      this.opts.deliver(part);
    }
    if (this.queued < this.opts.highWater / 2) this.release();
    if (this.queue.length === 0) this.stopTimer();
  }

  private release(): void {
    if (this.paused) {
      this.paused = false;
      this.opts.resume?.();
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
