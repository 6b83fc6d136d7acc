import { describe, expect, it } from 'vitest';
import { stripKernelLines } from './console-text.ts';
import { Base64Stream, FrameReader, markerPrintf } from './frames.ts';
import { execScript, typed } from './scripts.ts';

const N = '0123456789ab';

describe('FrameReader', () => {
  it('reads markers and base64 split anywhere, even across line breaks', () => {
    const r = new FrameReader(N);
    const stream = `junk before\r\n:FLS${N};\r\naGVsbG8K\r\n:FL` + `M${N};\r\n:FLE${N},3;\r\nfieldlink# `;
    const events = [...stream].flatMap((ch) => r.feed(ch));
    expect(events.filter((e) => e.kind === 'marker').map((e) => (e.kind === 'marker' ? e.tag : ''))).toEqual(['S', 'M', 'E']);
    expect(events.find((e) => e.kind === 'marker' && e.tag === 'E')).toMatchObject({ fields: ['3'] });
    expect(
      events
        .filter((e) => e.kind === 'data')
        .map((e) => (e.kind === 'data' ? e.b64 : ''))
        .join(''),
    ).toBe('aGVsbG8K');
  });

  it('reads a marker that a kernel line interrupted', () => {
    const r = new FrameReader(N);
    const text = stripKernelLines(`:FLS${N};\n:FLE${N.slice(0, 6)}[  99.000001] usb 1-1: USB disconnect\r\n${N.slice(6)},0;\n`);
    const tags = r.feed(text).map((e) => (e.kind === 'marker' ? e.tag : 'data'));
    expect(tags).toEqual(['S', 'E']);
  });

  it('ignores markers of an earlier exchange and anything before its own first marker', () => {
    const r = new FrameReader(N);
    expect(r.feed(':FLEffffffffffff,0;\n:not a marker; login: ')).toEqual([]);
    expect(r.started).toBe(false);
  });

  it('refuses text inside a frame that is neither base64 nor a marker', () => {
    const r = new FrameReader(N);
    r.feed(`:FLS${N};\n`);
    expect(() => r.feed('some other program wrote here\n')).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
  });

  it('cannot be fooled by the echo of the command line that prints the markers', () => {
    const line = typed(execScript(N, `printf ':FLE${N},0;'`, false));
    const r = new FrameReader(N);
    expect(r.feed(line.replace(/\r/g, '\n'))).toEqual([]);
    expect(markerPrintf('E', N, ['"$x"'])).toContain(`:FLE${N},%s;`);
  });
});

describe('Base64Stream', () => {
  it('decodes base64 arriving one character at a time', () => {
    const out: Buffer[] = [];
    const s = new Base64Stream((b) => out.push(Buffer.from(b)));
    for (const ch of Buffer.from('binary\x00\xff', 'latin1').toString('base64')) s.push(ch);
    s.end();
    expect(Buffer.concat(out).toString('latin1')).toBe('binary\x00\xff');
  });
});
