import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from './throttle.ts';

describe('Throttle (one direction of a serial line)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('delivers bytes at no more than bytesPerSecond, in order and unchanged', () => {
    const out: Buffer[] = [];
    const t = new Throttle({ bytesPerSecond: 1000, deliver: (c) => out.push(Buffer.from(c)), now: () => Date.now() });
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    t.push(data);
    vi.advanceTimersByTime(1000);
    const after1s = Buffer.concat(out).length;
    expect(after1s).toBeGreaterThanOrEqual(980);
    expect(after1s).toBeLessThanOrEqual(1030);
    vi.advanceTimersByTime(2100);
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });

  it('does not bank idle time into a burst', () => {
    const out: Buffer[] = [];
    const t = new Throttle({ bytesPerSecond: 1000, deliver: (c) => out.push(c), now: () => Date.now() });
    vi.advanceTimersByTime(10_000);
    t.push(Buffer.alloc(5000));
    vi.advanceTimersByTime(100);
    expect(Buffer.concat(out).length).toBeLessThanOrEqual(130);
  });

  it('asks the producer to pause above the high-water mark and resume once drained', () => {
    const events: string[] = [];
    const t = new Throttle({
      bytesPerSecond: 1000,
      highWater: 100,
      deliver: () => {},
      pause: () => events.push('pause'),
      resume: () => events.push('resume'),
      now: () => Date.now(),
    });
    t.push(Buffer.alloc(150));
    expect(events).toEqual(['pause']);
    vi.advanceTimersByTime(200);
    expect(events).toEqual(['pause', 'resume']);
  });

  it('clear() drops queued bytes (cable pulled) and close() ignores later pushes', () => {
    const out: Buffer[] = [];
    const t = new Throttle({ bytesPerSecond: 100, deliver: (c) => out.push(c), now: () => Date.now() });
    t.push(Buffer.alloc(1000));
    t.clear();
    expect(t.length).toBe(0);
    t.close();
    t.push(Buffer.alloc(10));
    vi.advanceTimersByTime(1000);
    expect(Buffer.concat(out).length).toBeLessThanOrEqual(2);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new Throttle({ bytesPerSecond: 0, deliver: () => {} })).toThrow(RangeError);
  });
});
