import { describe, expect, it } from 'vitest';
import { bounded, stripTerminalEscapes } from './text.ts';

describe('box text shown outside the terminal', () => {
  it('loses colour, cursor, title and clear-screen escapes but keeps its words', () => {
    expect(stripTerminalEscapes('\u001b[31mred\u001b[0m box')).toBe('red box');
    expect(stripTerminalEscapes('a\u001b]0;pwned\u0007b')).toBe('ab');
    expect(stripTerminalEscapes('x\u001b[2J\u001b[Hy')).toBe('xy');
    expect(stripTerminalEscapes('bell\u0007 back\bspace\rcr')).toBe('bell backspacecr');
  });

  it('keeps newlines, tabs and non-Latin names', () => {
    expect(stripTerminalEscapes('Zürich-3\tнод\n')).toBe('Zürich-3\tнод\n');
  });

  it('says how much it cut', () => {
    expect(bounded('abcdef', 3)).toBe('abc… (3 more characters)');
    expect(bounded('abc', 3)).toBe('abc');
  });
});
