import { describe, expect, it } from 'vitest';
import { MAX_SHOWN, safeLines, safeText, sanitize, stripEscapeSequences } from './text.ts';

const ESC = '\u001b';

/** What no sanitised text may contain, whatever came in: controls (but LF/tab in multiline), DEL, C1, bidi and zero-width characters. */
function assertInert(s: string, multiline: boolean): void {
  /* eslint-disable no-control-regex -- looking for controls is the point */
  const bad = multiline
    ? /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/
    : /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
  /* eslint-enable no-control-regex */
  const hit = bad.exec(s);
  expect(hit, hit ? `U+${hit[0].charCodeAt(0).toString(16).padStart(4, '0')} left at ${hit.index} in ${JSON.stringify(s.slice(0, 80))}` : '').toBeNull();
}

describe('box text shown outside the terminal', () => {
  it('leaves plain text, markup and non-Latin names exactly as they are', () => {
    for (const plain of ['edge-01', 'Zürich-3 нод 東京', 'v1.30.4+k3s1', '<img src=x onerror=alert(1)>', '[  OK  ] Started sshd.', 'disk [10m] [2K] arr[1]', '😀 emoji']) {
      expect(safeText(plain)).toBe(plain);
      expect(safeLines(plain)).toBe(plain);
    }
    expect(safeLines('two\nlines\tand a tab\n')).toBe('two\nlines\tand a tab\n');
  });

  it('removes colour, cursor, erase and mode escapes whole, keeping the words', () => {
    expect(safeText(`${ESC}[31mred${ESC}[0m box`)).toBe('red box');
    expect(safeText(`x${ESC}[2J${ESC}[Hy${ESC}[?2004h${ESC}[1;32;40mz${ESC}[K`)).toBe('xyz');
    expect(safeText(`${ESC}7saved${ESC}8 ${ESC}(Bcharset ${ESC}c`)).toBe('saved charset ');
  });

  it('removes the "[31m" a tool leaves behind when it strips only the ESC byte (the old renderer showed it)', () => {
    // The renderer's former safeText turned ESC into U+FFFD and showed "�[31mred�[0m".
    expect(safeText(`${ESC}[31mred${ESC}[0m`)).toBe('red');
    expect(safeText('[31mred[0m box [1;32mok[m')).toBe('red box ok[m');
    expect(safeText('prompt[?2004h# [2J[K[12;1Hdone')).toBe('prompt# done');
    expect(safeLines('[0;31merror[0m: disk full\n')).toBe('error: disk full\n');
  });

  it('drops an OSC 8 hyperlink target and a window title, keeping the visible words', () => {
    expect(safeText(`${ESC}]8;;https://evil.example/${ESC}\\click here${ESC}]8;;${ESC}\\ now`)).toBe('click here now');
    expect(safeText(`a${ESC}]0;pwned\u0007b`)).toBe('ab');
    expect(safeText(`a\u009d0;pwned\u009cb \u009b31mc`)).toBe('ab c');
    // An unterminated title swallows only its own line.
    expect(safeLines(`one${ESC}]0;no end\ntwo`)).toBe('one\ntwo');
    expect(safeText(`${ESC}P1$r0m${ESC}\\dcs gone`)).toBe('dcs gone');
  });

  it('removes bidi overrides, isolates, marks and zero-width characters', () => {
    expect(safeText('evil\u202Egnp.exe')).toBe('evilgnp.exe');
    expect(safeText('\u2066edge\u2069-01\u200F')).toBe('edge-01');
    expect(safeText('ed\u200Bge\u200C-\u200D0\u20601\uFEFF')).toBe('edge-01');
    expect(safeText('tag\u{E0041}\u{E0042}s')).toBe('tags');
  });

  it('drops other control bytes; one line turns line breaks into a space, multiline keeps them', () => {
    expect(safeText('bell\u0007 back\bspace\u007f nul\u0000')).toBe('bell backspace nul');
    expect(safeText('two\r\nlines\tand tab\u2028x')).toBe('two lines and tab x');
    expect(safeLines('a\r\nb\rc\u0085d\te\u0007')).toBe('a\nbc\nd\te');
    // A lone CR cannot overwrite what a terminal already showed.
    expect(safeText('rm -rf /\rls')).toBe('rm -rf / ls');
  });

  it('bounds the length with an ellipsis and never splits a surrogate pair', () => {
    const s = safeText('x'.repeat(10_000), 50);
    expect(s).toHaveLength(50);
    expect(s.endsWith('…')).toBe(true);
    expect(safeText('y'.repeat(MAX_SHOWN + 1))).toHaveLength(MAX_SHOWN);
    expect(safeText('abc', 3)).toBe('abc');
    expect(safeText('ab😀cd', 4)).toBe('ab…');
    expect(safeLines('z'.repeat(5000)).length).toBeLessThanOrEqual(4000);
  });

  it('cleans 10 KB of hostile console output quickly and completely', () => {
    const pieces = [`${ESC}[31m`, `${ESC}]0;t\u0007`, '\u202E', '\u200B', '\u0000', '\r', '\n', '[0m', `${ESC}]8;;http://x${ESC}\\`, 'word ', '\u009b2J', `${ESC}`, '\u0085'];
    let input = '';
    for (let i = 0; input.length < 10 * 1024; i++) input += pieces[(i * 7) % pieces.length]!;
    const started = performance.now();
    const line = safeText(input, 100_000);
    const lines = safeLines(input, 100_000);
    expect(performance.now() - started).toBeLessThan(100);
    assertInert(line, false);
    assertInert(lines, true);
    expect(line).not.toContain('[0m');
    expect(line).toContain('word');
  });

  it('leaves nothing active, whatever the input (random strings)', () => {
    const alphabet = [
      '\u001b',
      '[',
      ']',
      '\\',
      '\u0007',
      '\u009b',
      '\u009c',
      '\u009d',
      '0',
      '1',
      ';',
      'm',
      'H',
      '?',
      'P',
      '\n',
      '\r',
      '\t',
      '\u202E',
      '\u200B',
      'a',
      'é',
      '\u0000',
      '\u007f',
      '\u0085',
    ];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 500; n++) {
      let input = '';
      for (let i = next() % 60; i > 0; i--) input += alphabet[next() % alphabet.length]!;
      assertInert(safeText(input), false);
      assertInert(safeLines(input), true);
      expect(sanitize(input, { max: 10 }).length).toBeLessThanOrEqual(10);
    }
  });

  it('shows nothing for null or undefined', () => {
    expect(safeText(null)).toBe('');
    expect(safeLines(undefined)).toBe('');
  });
});

describe('escape sequences in protocol text (serial console parser)', () => {
  it('removes only 7-bit escapes and keeps every other byte, latin1 included', () => {
    expect(stripEscapeSequences(`${ESC}[?2004hroot@box:~# ${ESC}[31mred${ESC}[0m\r\n\u0007`)).toBe('root@box:~# red\r\n\u0007');
    expect(stripEscapeSequences('caf\u00c3\u00a9 \u00c3\u009b')).toBe('caf\u00c3\u00a9 \u00c3\u009b');
  });

  it('leaves a title string that has not ended yet for the next chunk to complete', () => {
    expect(stripEscapeSequences(`login: ${ESC}]0;box`)).toBe(`login: ${ESC}]0;box`);
    expect(stripEscapeSequences(`login: ${ESC}]0;box\u0007`)).toBe('login: ');
  });
});
