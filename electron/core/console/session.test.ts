import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import { ConsoleSessions, type TerminalLink } from './session.ts';

/** An in-memory link: the session logic is what is under test here; the real links are tested in the lab suites. */
function memoryLink() {
  const data: ((c: Uint8Array) => void)[] = [];
  const end: ((e: FieldlinkError | null) => void)[] = [];
  const written: string[] = [];
  let closed = false;
  const link: TerminalLink = {
    via: 'ssh',
    write: (d) => void written.push(d),
    resize: () => {},
    onData: (l) => void data.push(l),
    onEnd: (l) => void end.push(l),
    close: async () => {
      closed = true;
    },
  };
  return { link, written, emit: (b: Uint8Array) => data.forEach((l) => l(b)), drop: (e: FieldlinkError | null) => end.forEach((l) => l(e)), isClosed: () => closed };
}

describe('console sessions', () => {
  it('forwards output as text, keeping a character split across chunks whole', async () => {
    const bus = new EventBus();
    const m = memoryLink();
    const sessions = new ConsoleSessions(bus, async () => m.link);
    const out: string[] = [];
    bus.on('console.data', (e) => out.push(e.data));
    const s = await sessions.open('ssh://box', { cols: 80, rows: 24 });
    const bytes = Buffer.from('Grüße');
    m.emit(bytes.subarray(0, 3));
    m.emit(bytes.subarray(3));
    expect(out.join('')).toBe('Grüße');
    await sessions.write(s.sessionId, 'ls\r');
    expect(m.written).toEqual(['ls\r']);
  });

  it('slices a flood into bounded events', async () => {
    const bus = new EventBus();
    const m = memoryLink();
    const sessions = new ConsoleSessions(bus, async () => m.link);
    const sizes: number[] = [];
    bus.on('console.data', (e) => sizes.push(e.data.length));
    await sessions.open('ssh://box', { cols: 80, rows: 24 });
    m.emit(Buffer.alloc(300 * 1024, 0x41));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300 * 1024);
  });

  it('reports a dropped link as an error state and forgets the session', async () => {
    const bus = new EventBus();
    const m = memoryLink();
    const sessions = new ConsoleSessions(bus, async () => m.link);
    const states: string[] = [];
    bus.on('console.state', (e) => states.push(e.state));
    const s = await sessions.open('serial:/dev/x', { cols: 80, rows: 24 });
    m.drop(new FieldlinkError('LINK_DOWN', 'cable pulled'));
    expect(states).toEqual(['connecting', 'open', 'error']);
    await expect(sessions.write(s.sessionId, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('passes a refused host key through with its details, for the trust prompt', async () => {
    const sessions = new ConsoleSessions(new EventBus(), async () => {
      throw new FieldlinkError('HOST_KEY_UNKNOWN', 'not pinned', { host: 'h', port: 22, offered: [] });
    });
    await expect(sessions.open('ssh://h', { cols: 80, rows: 24 })).rejects.toMatchObject({ code: 'HOST_KEY_UNKNOWN', details: { host: 'h' } });
  });

  it('cuts a session saying why, and forwards nothing the link still delivers after', async () => {
    const bus = new EventBus();
    const m = memoryLink();
    const sessions = new ConsoleSessions(bus, async () => m.link);
    const states: string[] = [];
    let data = 0;
    bus.on('console.state', (s) => states.push(`${s.state}:${s.message ?? ''}`));
    bus.on('console.data', () => data++);
    const s = await sessions.open('ssh://box', { cols: 80, rows: 24 });
    await sessions.cut(s.sessionId, 'too fast');
    expect(states.at(-1)).toBe('error:too fast');
    expect(m.isClosed()).toBe(true);
    m.emit(Buffer.from('late bytes'));
    expect(data).toBe(0);
    await sessions.cut(s.sessionId, 'again');
    expect(states.filter((x) => x.startsWith('error'))).toHaveLength(1);
  });

  it('closes a terminal that finished connecting after the technician gave up on it', async () => {
    const m = memoryLink();
    let finish!: () => void;
    const sessions = new ConsoleSessions(new EventBus(), () => new Promise((r) => (finish = () => r(m.link))));
    const opening = sessions.open('ssh://slow', { cols: 80, rows: 24 });
    await sessions.closeAll();
    finish();
    await expect(opening).rejects.toMatchObject({ code: 'ABORTED' });
    expect(m.isClosed()).toBe(true);
  });
});
