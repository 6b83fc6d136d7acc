import { describe, expect, it } from 'vitest';
import { formatKernelLine, kernelMessage, nextNoiseDelayMs } from './noise.ts';

describe('kernel-style console messages', () => {
  it('are formatted like printk: seconds since boot, six decimals, right-aligned', () => {
    expect(formatKernelLine(7_859, 'usb 1-1: hello')).toBe('[    7.859000] usb 1-1: hello');
    expect(formatKernelLine(123_456.789, 'x')).toBe('[  123.456789] x');
    expect(formatKernelLine(-5, 'x')).toBe('[    0.000000] x');
  });

  it('pick a message from the set and space them exponentially around the mean', () => {
    expect(kernelMessage(() => 0)).toMatch(/usb/);
    let sum = 0;
    let seed = 1;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) sum += nextNoiseDelayMs(10, rnd);
    expect(sum / 2000).toBeGreaterThan(8000);
    expect(sum / 2000).toBeLessThan(12000);
  });
});
