import { describe, expect, it } from 'vitest';
import { TailBuffer } from './output.ts';

describe('TailBuffer', () => {
  it('keeps the last bytes within its bound and says it dropped the head', () => {
    const t = new TailBuffer(10);
    for (let i = 0; i < 100; i++) t.push(Buffer.from(`${i % 10}`));
    expect(Buffer.from(t.bytes()).toString()).toBe('0123456789');
    expect(t.truncated).toBe(true);
    t.push(Buffer.from('abcdefghijklmnop'));
    expect(Buffer.from(t.bytes()).toString()).toBe('ghijklmnop');
    const small = new TailBuffer(100);
    small.push(Buffer.from('hi'));
    expect(small.truncated).toBe(false);
  });
});

describe('TailBuffer across chunks', () => {
  it('keeps the tail whether it is fed Buffers or plain byte arrays', () => {
    const t = new TailBuffer(10);
    t.push(Buffer.from('0123456789'));
    t.push(new Uint8Array(Buffer.from('abc')));
    expect(Buffer.from(t.bytes()).toString()).toBe('3456789abc');
    expect(t.truncated).toBe(true);
  });
});
