import { describe, expect, it } from 'vitest';
import { etaText, mibOf } from './eta.ts';

describe('time left', () => {
  it('is estimated from the rate so far, rounded to what a technician plans with', () => {
    const MiB = 1048576;
    // 10 of 40 MiB in 60 s: 30 MiB more at the same rate is 180 s.
    expect(etaText(10 * MiB, 40 * MiB, 60_000)).toBe('about 3 min left');
    expect(etaText(39 * MiB, 40 * MiB, 60_000)).toBe('less than a minute left');
    expect(etaText(1 * MiB, 40 * MiB, 600_000)).toBe('about 6.5 h left');
    expect(etaText(1 * MiB, 40 * MiB, 240_000)).toBe('about 2.6 h left');
  });

  it('says nothing too early, when nothing is sent yet, or when the work is done', () => {
    expect(etaText(5, 100, 1000)).toBeNull();
    expect(etaText(1, 1000, 10_000)).toBeNull();
    expect(etaText(0, 100, 10_000)).toBeNull();
    expect(etaText(100, 100, 10_000)).toBeNull();
    expect(etaText(0, 0, 10_000)).toBeNull();
  });

  it('shows sizes in MiB', () => {
    expect(mibOf(3.2 * 1048576, 40 * 1048576)).toBe('3.2 of 40.0 MiB');
  });
});
