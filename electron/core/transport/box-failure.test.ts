import { describe, expect, it } from 'vitest';
import { boxFailure } from './box-failure.ts';

describe('boxFailure', () => {
  it('names a full disk first, whatever the command was', () => {
    const e = boxFailure('The box could not write its hostname (exit 1: sh: 1: echo: No space left on device).', 'sh: 1: echo: No space left on device', 'Check /etc.');
    expect(e.code).toBe('REMOTE_FAILED');
    expect(e.message).toBe(
      "The box's disk is full: the box could not write its hostname (exit 1: sh: 1: echo: No space left on device). Free space on the box (old logs or images under /var), then run this again.",
    );
    expect(e.details).toEqual({ diskFull: true });
  });

  it('otherwise keeps the message and its next step', () => {
    expect(boxFailure('The box did not take the key.', 'Permission denied', 'Check ~/.ssh.').message).toBe('The box did not take the key. Check ~/.ssh.');
    expect(boxFailure('The box could not x.', '', '').message).toBe('The box could not x.');
  });
});
