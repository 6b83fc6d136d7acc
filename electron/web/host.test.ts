import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startWebHost, type WebHost } from '../web.ts';
import { FieldlinkError } from '../../shared/errors.ts';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../shared/wire.ts';
import { Inbox, makeApp, makeRenderer, openSocket, opened, rawGet, session } from './testing.ts';

describe('browser host: static UI', () => {
  const core = makeApp();
  const ui = makeRenderer();
  let host: WebHost;
  beforeAll(async () => {
    host = await startWebHost({ app: core.app, rendererDir: ui.dir });
  });
  afterAll(async () => {
    await host.close();
    await core.cleanup();
    ui.cleanup();
  });

  it('listens on 127.0.0.1 only and puts the token in the URL fragment, never the path or query', () => {
    expect(host.origin).toBe(`http://127.0.0.1:${host.port}`);
    const url = new URL(host.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.search).toBe('');
    expect(url.pathname).toBe('/');
    expect(url.hash).toBe(`#token=${host.token}`);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serves index.html with a strict CSP and nosniff, and bundles with their types', async () => {
    const index = await rawGet(host.port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(index.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)/);
    expect(csp).not.toContain('*');
    expect(index.body).toContain('<title>Fieldlink</title>');

    const js = await rawGet(host.port, '/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawGet(host.port, '/assets/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('falls back to index.html for UI routes but answers NOT_FOUND for missing files', async () => {
    const route = await rawGet(host.port, '/boxes/SN-1/health');
    expect(route.status).toBe(200);
    expect(route.body).toContain('<title>Fieldlink</title>');
    const missing = await rawGet(host.port, '/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e%5c%2e%2e%5csecret.txt',
    '/assets/%00index-abc.js',
    '/%E0%A4%A',
    '/assets/link.txt',
    '/.env',
  ])('refuses %s without leaking anything outside the build', async (p) => {
    const res = await rawGet(host.port, p);
    expect([400, 404]).toContain(res.status);
    expect(res.body).not.toContain('TOP-SECRET');
    expect(res.body).not.toContain('NOPE=1');
    expect(res.body).not.toContain('root:');
    expect(JSON.parse(res.body).code).toMatch(/^(BAD_REQUEST|NOT_FOUND)$/);
  });

  it('refuses a DNS-rebinding Host and a cross-site Origin with UNAUTHORIZED', async () => {
    const rebound = await rawGet(host.port, '/', { host: `evil.example:${host.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: 'UNAUTHORIZED' });
    const wrongPort = await rawGet(host.port, '/', { host: `127.0.0.1:${host.port + 1}` });
    expect(wrongPort.status).toBe(403);
    const crossSite = await rawGet(host.port, '/assets/index-abc.js', { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).not.toContain('console.log');
  });

  it('answers only GET and HEAD', async () => {
    const post = await rawGet(host.port, '/', {}, 'POST');
    expect(post.status).toBe(405);
    expect(JSON.parse(post.body)).toMatchObject({ code: 'BAD_REQUEST' });
    const head = await rawGet(host.port, '/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('browser host: setup', () => {
  it('tells the technician to build the renderer when it is missing', async () => {
    const core = makeApp();
    const host = await startWebHost({ app: core.app, rendererDir: '/nonexistent/fieldlink-renderer' });
    try {
      const res = await rawGet(host.port, '/');
      expect(res.status).toBe(503);
      expect(res.body).toContain('npm run build:renderer');
      expect(res.headers['content-security-policy']).toBeDefined();
    } finally {
      await host.close();
      await core.cleanup();
    }
  });

  it('refuses a port in use with CONFLICT, and bad options with BAD_REQUEST', async () => {
    const core = makeApp();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startWebHost({ app: core.app, port })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(startWebHost({ app: core.app, token: 'short' })).rejects.toBeInstanceOf(FieldlinkError);
      await expect(startWebHost({ app: core.app, token: 'x'.repeat(20) + '/..' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(startWebHost({ app: core.app, port: 70000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    } finally {
      blocker.close();
      await core.cleanup();
    }
  });

  it('uses a given token and port', async () => {
    const core = makeApp();
    const token = 'given-token-0123456789abcdef';
    const first = await startWebHost({ app: core.app, token });
    const port = first.port;
    await first.close();
    const host = await startWebHost({ app: core.app, token, port });
    try {
      expect(host.port).toBe(port);
      expect(host.url).toBe(`http://127.0.0.1:${port}/#token=${token}`);
    } finally {
      await host.close();
      await core.cleanup();
    }
  });
});

describe('browser host: the API over WebSocket', () => {
  const core = makeApp();
  let host: WebHost;
  beforeAll(async () => {
    host = await startWebHost({ app: core.app, rendererDir: '/nonexistent' });
  });
  afterAll(async () => {
    await host.close();
    await core.cleanup();
  });

  async function stillServes(): Promise<void> {
    const { ws, inbox } = await session(host.port, host.token);
    ws.send(JSON.stringify({ t: 'call', id: 99, name: 'app.info' }));
    const res = await inbox.next((m) => m.t === 'result' && m.id === 99);
    expect(res).toMatchObject({ ok: true, value: { host: 'browser' } });
    ws.close();
  }

  it('answers calls after the token, with values and typed errors', async () => {
    const { ws, inbox } = await session(host.port, host.token);
    ws.send(JSON.stringify({ t: 'call', id: 1, name: 'settings.get', input: {} }));
    expect(await inbox.next((m) => m.id === 1)).toMatchObject({ t: 'result', ok: true, value: { theme: expect.any(String) } });
    ws.send(JSON.stringify({ t: 'call', id: 2, name: 'boxes.get', input: { id: 'SN-NOPE' } }));
    expect(await inbox.next((m) => m.id === 2)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    ws.close();
  });

  it.each([
    ['a foreign Origin', { origin: 'https://evil.example' }, 403],
    ['no Origin', { origin: null }, 403],
    ['a rebound Host', { host: 'evil.example:1' }, 403],
    ['the wrong path', { path: '/ws' }, 404],
  ] as const)('refuses an upgrade with %s, typed, and keeps serving', async (_what, opts, status) => {
    const ws = openSocket(host.port, opts);
    const inbox = new Inbox(ws);
    const res = await inbox.unexpected;
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body).code).toMatch(/^(UNAUTHORIZED|NOT_FOUND)$/);
    await stillServes();
  });

  it('refuses a wrong token with UNAUTHORIZED and closes only that socket', async () => {
    const ws = openSocket(host.port);
    const inbox = new Inbox(ws);
    await opened(ws);
    ws.send(JSON.stringify({ t: 'hello', token: 'wrong-token-value-123456' }));
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await inbox.closed).code).toBe(4401);
    await stillServes();
  });

  it('refuses a call before the token', async () => {
    const ws = openSocket(host.port);
    const inbox = new Inbox(ws);
    await opened(ws);
    ws.send(JSON.stringify({ t: 'call', id: 1, name: 'settings.get' }));
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await inbox.closed).code).toBe(4401);
    expect(inbox.messages.some((m) => m.t === 'result')).toBe(false);
  });

  it('answers malformed frames, unknown calls and schema failures with typed errors, and keeps the socket', async () => {
    const { ws, inbox } = await session(host.port, host.token);
    ws.send('this is not json');
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    ws.send(Buffer.from([0xc3, 0x28, 0xff]), { binary: false });
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('UTF-8') } });
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    ws.send(JSON.stringify({ t: 'launch-missiles' }));
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    ws.send(JSON.stringify([1, 2]));
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    ws.send(JSON.stringify({ t: 'call', id: 5, name: 'fs.deleteEverything', input: {} }));
    expect(await inbox.next((m) => m.id === 5)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CALL' } });
    ws.send(JSON.stringify({ t: 'call', id: 6, name: 'boxes.get', input: { id: 42 } }));
    expect(await inbox.next((m) => m.id === 6)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    ws.send(JSON.stringify({ t: 'call', id: 7, name: 'settings.set', input: { theme: 'neon', extra: 1 } }));
    expect(await inbox.next((m) => m.id === 7)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    ws.send(JSON.stringify({ t: 'call', id: 8, name: { evil: true } }));
    expect(await inbox.next((m) => m.id === 8)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    ws.send(JSON.stringify({ t: 'sub', name: 'not.an.event' }));
    expect(await inbox.next((m) => m.t === 'error')).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    // Nothing was stored by the refused settings.set.
    ws.send(JSON.stringify({ t: 'call', id: 9, name: 'settings.get' }));
    expect(await inbox.next((m) => m.id === 9)).toMatchObject({ ok: true, value: { theme: expect.not.stringMatching('neon') } });
    ws.close();
  });

  it('refuses an oversized message with a typed error and keeps the socket', async () => {
    const { ws, inbox } = await session(host.port, host.token);
    ws.send(JSON.stringify({ t: 'call', id: 1, name: 'console.write', input: { sessionId: 's', data: 'x'.repeat(MAX_MESSAGE_BYTES + 10) } }));
    const err = await inbox.next((m) => m.t === 'error', 20_000);
    expect(err).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('too large') } });
    ws.send(JSON.stringify({ t: 'call', id: 2, name: 'app.info' }));
    expect(await inbox.next((m) => m.id === 2)).toMatchObject({ ok: true });
    ws.close();
  });

  it('cuts off a frame beyond the frame limit (1009) before buffering it, and keeps serving others', async () => {
    const { ws, inbox } = await session(host.port, host.token);
    ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1024, 0x61));
    expect((await inbox.closed).code).toBe(1009);
    await stillServes();
  });

  it('forwards only the events a socket subscribed to, until it unsubscribes', async () => {
    const a = await session(host.port, host.token);
    const b = await session(host.port, host.token);
    a.ws.send(JSON.stringify({ t: 'sub', name: 'settings.changed' }));
    // A round trip makes sure the sub was handled before the change.
    a.ws.send(JSON.stringify({ t: 'call', id: 1, name: 'app.info' }));
    await a.inbox.next((m) => m.id === 1);
    b.ws.send(JSON.stringify({ t: 'call', id: 2, name: 'settings.set', input: { site: 'Tower 7' } }));
    await b.inbox.next((m) => m.id === 2);
    expect(await a.inbox.next((m) => m.t === 'event')).toMatchObject({ name: 'settings.changed', payload: { site: 'Tower 7' } });
    expect(b.inbox.messages.some((m) => m.t === 'event')).toBe(false);

    a.ws.send(JSON.stringify({ t: 'unsub', name: 'settings.changed' }));
    a.ws.send(JSON.stringify({ t: 'call', id: 3, name: 'settings.set', input: { site: 'Tower 8' } }));
    await a.inbox.next((m) => m.id === 3);
    expect(a.inbox.messages.some((m) => m.t === 'event')).toBe(false);
    a.ws.close();
    b.ws.close();
  });

  it('closes its sockets with 1001 when it shuts down', async () => {
    const other = await startWebHost({ app: core.app });
    const { inbox } = await session(other.port, other.token);
    await other.close();
    expect((await inbox.closed).code).toBe(1001);
  });

  it('never writes the session token, or a token it refused, to the log', async () => {
    const ws = openSocket(host.port);
    const inbox = new Inbox(ws);
    await opened(ws);
    ws.send(JSON.stringify({ t: 'hello', token: 'offered-but-wrong-token-xyz' }));
    await inbox.closed;
    const log = core.logText();
    expect(log).toContain('refused');
    expect(log).not.toContain(host.token);
    expect(log).not.toContain('offered-but-wrong-token-xyz');
  });
});
