import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { App } from '../core/app.ts';
import { SOCKET_SERVER_OPTIONS, serveSocket, type SessionLimits } from './session.ts';
import { Inbox, makeApp, opened } from './testing.ts';

const TOKEN = 'session-token-0123456789abcdef';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** serveSocket on a bare ws server, so the limits can be made small enough to reach in a test. */
async function serve(app: App, limits: SessionLimits): Promise<{ port: number; server: () => WebSocket | undefined }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...SOCKET_SERVER_OPTIONS });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let last: WebSocket | undefined;
  wss.on('connection', (ws) => {
    last = ws;
    serveSocket(ws, { app, token: TOKEN, log: app.log, remote: 'test', limits });
  });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  return { port: (wss.address() as { port: number }).port, server: () => last };
}

async function connect(port: number): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const inbox = new Inbox(ws);
  cleanups.push(() => ws.terminate());
  await opened(ws);
  return { ws, inbox };
}

describe('browser host session limits', () => {
  it('closes a socket that never presents the token', async () => {
    const core = makeApp();
    cleanups.push(() => core.cleanup());
    const { port } = await serve(core.app, { helloTimeoutMs: 150, maxInFlight: 4, maxBufferedBytes: 1 << 20 });
    const { inbox } = await connect(port);
    expect((await inbox.closed).code).toBe(4401);
  });

  it('refuses calls beyond the in-flight limit with CONFLICT instead of queueing them', async () => {
    const core = makeApp();
    cleanups.push(() => core.cleanup());
    const release: (() => void)[] = [];
    const slow: App = {
      ...core.app,
      dispatch: () => new Promise((r) => release.push(() => r({ ok: true, value: {} }))),
    };
    const { port } = await serve(slow, { helloTimeoutMs: 5000, maxInFlight: 3, maxBufferedBytes: 1 << 20 });
    const { ws, inbox } = await connect(port);
    ws.send(JSON.stringify({ t: 'hello', token: TOKEN }));
    await inbox.next((m) => m.t === 'ready');
    for (let id = 1; id <= 4; id++) ws.send(JSON.stringify({ t: 'call', id, name: 'app.info' }));
    expect(await inbox.next((m) => m.id === 4)).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    await expect.poll(() => release.length).toBe(3);
    for (const r of release.splice(0)) r();
    for (let id = 1; id <= 3; id++) expect(await inbox.next((m) => m.id === id)).toMatchObject({ ok: true });
  });

  it('cuts off a client that stops reading instead of buffering without bound', async () => {
    const core = makeApp();
    cleanups.push(() => core.cleanup());
    const { port, server } = await serve(core.app, { helloTimeoutMs: 5000, maxInFlight: 4, maxBufferedBytes: 256 * 1024 });
    const { ws, inbox } = await connect(port);
    ws.send(JSON.stringify({ t: 'hello', token: TOKEN }));
    await inbox.next((m) => m.t === 'ready');
    ws.send(JSON.stringify({ t: 'sub', name: 'console.data' }));
    ws.send(JSON.stringify({ t: 'call', id: 1, name: 'app.info' }));
    await inbox.next((m) => m.id === 1);
    // Stop reading, as a frozen tab would; the kernel's buffers fill, then ws's.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 400 && server()?.readyState === WebSocket.OPEN; i++) {
      core.app.bus.emit('console.data', { sessionId: 's1', data: chunk });
      await new Promise((r) => setImmediate(r));
    }
    expect(server()?.readyState).not.toBe(WebSocket.OPEN);
    expect(core.logText()).toContain('not reading');
  });
});

describe('browser host session robustness', () => {
  it('answers a result JSON cannot carry with INTERNAL instead of crashing', async () => {
    const core = makeApp();
    cleanups.push(() => core.cleanup());
    const odd: App = { ...core.app, dispatch: async () => ({ ok: true, value: { big: 10n } }) };
    const { port } = await serve(odd, { helloTimeoutMs: 5000, maxInFlight: 4, maxBufferedBytes: 1 << 20 });
    const { ws, inbox } = await connect(port);
    ws.send(JSON.stringify({ t: 'hello', token: TOKEN }));
    await inbox.next((m) => m.t === 'ready');
    ws.send(JSON.stringify({ t: 'call', id: 1, name: 'app.info' }));
    expect(await inbox.next((m) => m.id === 1)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('survives a bounded burst of random frames (bad UTF-8 included) and still answers a good call', { timeout: 30_000 }, async () => {
    const core = makeApp();
    cleanups.push(() => core.cleanup());
    const { port } = await serve(core.app, { helloTimeoutMs: 5000, maxInFlight: 64, maxBufferedBytes: 8 << 20 });
    const { ws, inbox } = await connect(port);
    ws.send(JSON.stringify({ t: 'hello', token: TOKEN }));
    await inbox.next((m) => m.t === 'ready');
    // Seeded, so a failure can be replayed.
    let seed = 0x5eed;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const value = (depth: number): unknown => {
      const kinds = depth > 3 ? ['num', 'str', 'null', 'bool'] : ['num', 'str', 'null', 'bool', 'arr', 'obj'];
      switch (pick(kinds)) {
        case 'num':
          return pick([0, -1, 1e308, 3.5, Number.MAX_SAFE_INTEGER + 2]);
        case 'str':
          return pick(['', 'x'.repeat(300), '\u0000', 'app.info', 'boxes.get', 'settings.set', '__proto__', 'constructor', '😀']);
        case 'null':
          return null;
        case 'bool':
          return rnd() < 0.5;
        case 'arr':
          return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
        default:
          return Object.fromEntries(
            Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(['t', 'id', 'name', 'input', '__proto__', 'token', 'site', 'theme']), value(depth + 1)]),
          );
      }
    };
    for (let i = 0; i < 400; i++) {
      const r = rnd();
      if (r < 0.1) ws.send(Buffer.from(Array.from({ length: 40 }, () => Math.floor(rnd() * 256))), { binary: rnd() < 0.5 });
      else if (r < 0.5) ws.send(JSON.stringify({ t: pick(['call', 'sub', 'unsub', 'hello', 'zzz']), id: pick([i, -1, 'x', 1.5]), name: value(2), input: value(1) }));
      else ws.send(JSON.stringify(value(0)));
    }
    ws.send(JSON.stringify({ t: 'call', id: 1_000_000, name: 'app.info' }));
    expect(await inbox.next((m) => m.id === 1_000_000, 20_000)).toMatchObject({ ok: true });
    expect(inbox.messages.some((m) => JSON.stringify(m).includes('not valid UTF-8'))).toBe(true);
    // Every random frame got some answer or was a sub/unsub that needs none; nothing leaked a stack.
    expect(JSON.stringify(inbox.messages)).not.toMatch(/\bat .+:\d+:\d+/);
    const settings = await core.app.dispatch('settings.get', {});
    expect(settings.ok).toBe(true);
  });
});
