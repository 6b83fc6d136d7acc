import { describe, expect, it } from 'vitest';
import { liveError } from './informers.ts';

describe('liveError', () => {
  it('words a timed-out request as the link, not as HTTP status 23 (a DOMException code)', () => {
    const err = liveError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'root@10.0.0.5:22');
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/stopped answering/);
    expect(err.message).not.toMatch(/HTTP/);
  });
});
