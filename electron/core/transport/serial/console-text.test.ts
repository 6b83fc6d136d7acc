import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../../shared/errors.ts';
import { ConsoleReceiver, readable, stripKernelLines } from './console-text.ts';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('console text cleaning', () => {
  it('removes a kernel line printed in the middle of another line and rejoins that line exactly', () => {
    expect(stripKernelLines('QUJD[   12.345678] usb 1-1: new device\r\nREVG\n')).toBe('QUJDREVG\n');
    expect(stripKernelLines('abc\r\n[    0.000001] eth0: link up\r\ndef\n')).toBe('abc\r\ndef\n');
  });

  it('keeps text that only looks a little like a kernel line', () => {
    expect(stripKernelLines('[  OK  ] Started OpenBSD Secure Shell server.\n')).toBe('[  OK  ] Started OpenBSD Secure Shell server.\n');
  });

  it('shows console text without escapes, CRs or control bytes', () => {
    expect(readable('\x1b[?2004hroot@box:~# \x1b[31mred\x1b[0m\r\n\x07')).toBe('root@box:~# red\n');
  });

  it('shows what the box wrote in UTF-8 as such, with bidi tricks and leaked colour codes gone', () => {
    expect(readable(Buffer.from('Zürich-3 login: \u202Eevil [31m\n', 'utf8').toString('latin1'))).toBe('Zürich-3 login: evil \n');
  });
});

describe('ConsoleReceiver', () => {
  it('hands on complete lines cleaned, and shows the unfinished prompt line through tail()', async () => {
    const rx = new ConsoleReceiver();
    const pending = rx.read(Date.now() + 5000);
    rx.push(bytes('[    1.000000] boot\r\nbox login: '));
    expect(await pending).toBe('');
    expect(rx.tail()).toBe('box login: ');
  });

  it('rejects a waiting read with LINK_DOWN the moment the link fails', async () => {
    const rx = new ConsoleReceiver();
    const pending = rx.read(Date.now() + 10_000);
    rx.fail(new FieldlinkError('LINK_DOWN', 'gone'));
    await expect(pending).rejects.toMatchObject({ code: 'LINK_DOWN' });
  });

  it('times out and aborts with typed errors', async () => {
    const rx = new ConsoleReceiver();
    await expect(rx.read(Date.now() + 30)).rejects.toMatchObject({ code: 'TIMEOUT' });
    const ac = new AbortController();
    const p = rx.read(Date.now() + 10_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('stays bounded when a console floods with nobody reading', () => {
    const rx = new ConsoleReceiver();
    const line = bytes(`${'x'.repeat(1023)}\n`);
    for (let i = 0; i < 20_000; i++) rx.push(line); // 20 MiB
    expect(rx.dropped).toBe(true);
    const noNewline = bytes('y'.repeat(1 << 20));
    rx.push(noNewline);
    expect(rx.tail().length).toBeLessThanOrEqual(64 * 1024);
  });
});
