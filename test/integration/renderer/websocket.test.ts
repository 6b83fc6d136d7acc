import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startWebHost, type WebHost } from '../../../electron/web.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import { makeApp } from '../../../electron/web/testing.ts';
import { createWebSocketClient, type SocketLike, type WebSocketClient } from '../../../renderer/transport/websocket.ts';
import type { ConnectionState } from '../../../renderer/transport/connection.ts';
import { MAX_MESSAGE_BYTES } from '../../../shared/wire.ts';

/** The browser sends its page's Origin on its own; in Node the test's socket has to say it. */
const connectAs = (origin: string) => (url: string) => new WebSocket(url, { headers: { origin } }) as unknown as SocketLike;

function until(client: WebSocketClient, status: ConnectionState['status'], timeoutMs = 10_000): Promise<ConnectionState> {
  return new Promise((resolve, reject) => {
    const now = client.connection.getState();
    if (now.status === status) return resolve(now);
    const timer = setTimeout(() => reject(new Error(`still ${client.connection.getState().status}, wanted ${status}`)), timeoutMs);
    const off = client.connection.subscribe((s) => {
      if (s.status !== status) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function realHost(token?: string, port?: number): Promise<{ host: WebHost; core: ReturnType<typeof makeApp> }> {
  const core = makeApp();
  const host = await startWebHost({ app: core.app, rendererDir: '/nonexistent', token, port });
  cleanups.push(() => core.cleanup());
  cleanups.push(() => host.close());
  return { host, core };
}

function client(url: string, token: string, origin: string, extra: Partial<Parameters<typeof createWebSocketClient>[0]> = {}): WebSocketClient {
  const c = createWebSocketClient({ url, token, connect: connectAs(origin), backoff: { baseMs: 20, maxMs: 200 }, ...extra });
  cleanups.push(() => c.close());
  return c;
}

describe('WebSocket client against the real browser host', () => {
  it('calls the core and gets values; failures reject with FieldlinkError carrying the code', async () => {
    const { host } = await realHost();
    const c = client(`ws://127.0.0.1:${host.port}/api`, host.token, host.origin);
    const info = await c.call('app.info', {});
    expect(info.host).toBe('browser');
    expect(c.connection.getState()).toMatchObject({ status: 'connected', transport: 'websocket' });
    const err = await c.call('boxes.get', { id: 'SN-MISSING' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FieldlinkError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await c.call('boxes.get', { id: 7 } as never).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'BAD_REQUEST' });
    const unknown = await c.call('no.such.call' as never, {} as never).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'UNKNOWN_CALL' });
  });

  it('delivers subscribed events and stops after unsubscribe', async () => {
    const { host } = await realHost();
    const c = client(`ws://127.0.0.1:${host.port}/api`, host.token, host.origin);
    const seen: string[] = [];
    const off = c.on('settings.changed', (s) => seen.push(s.site));
    await c.call('settings.set', { site: 'Plant 3' });
    await expect.poll(() => seen).toEqual(['Plant 3']);
    off();
    await c.call('settings.set', { site: 'Plant 4' });
    await c.call('app.info', {});
    expect(seen).toEqual(['Plant 3']);
    expect(() => c.on('nope' as never, () => {})).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: 'Unknown event: nope' }));
  });

  it('reconnects with backoff after the host restarts, resubscribes, and sends calls queued meanwhile', async () => {
    const token = 'restart-token-0123456789abcdef';
    const first = await realHost(token);
    const port = first.host.port;
    const c = client(`ws://127.0.0.1:${port}/api`, token, first.host.origin);
    const sites: string[] = [];
    c.on('settings.changed', (s) => sites.push(s.site));
    await c.call('app.info', {});

    await first.host.close();
    const down = await until(c, 'reconnecting');
    expect(down.attempt).toBeGreaterThanOrEqual(1);
    expect(down.message).toBeTruthy();
    const queued = c.call('settings.set', { site: 'After restart' });

    const second = await realHost(token, port);
    await until(c, 'connected');
    expect(await queued).toMatchObject({ site: 'After restart' });
    await expect.poll(() => sites).toContain('After restart');
    // The resubscription is live: a change made by someone else still arrives.
    second.core.app.updateSettings({ site: 'From the core' });
    await expect.poll(() => sites).toContain('From the core');
    expect(c.connection.getState().attempt).toBe(0);
  });

  it('stops retrying on a refused token and rejects calls with UNAUTHORIZED', async () => {
    const { host } = await realHost();
    const c = client(`ws://127.0.0.1:${host.port}/api`, 'not-the-token-0123456789', host.origin);
    const call = c.call('app.info', {}).catch((e: unknown) => e);
    const state = await until(c, 'unauthorized');
    expect(state.message).toContain('fieldlink ui');
    expect(await call).toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(c.call('app.info', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses to send an input over the message limit, and the link stays up', async () => {
    const { host } = await realHost();
    const c = client(`ws://127.0.0.1:${host.port}/api`, host.token, host.origin);
    await c.call('app.info', {});
    await expect(c.call('console.write', { sessionId: 's', data: 'é'.repeat(MAX_MESSAGE_BYTES / 2) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await c.call('app.info', {})).host).toBe('browser');
  });
});

describe('WebSocket client against a scripted server', () => {
  /** Says ready to any hello and never answers calls: the client's own timeouts and link loss are what is tested. */
  async function silentServer(): Promise<{ url: string; wss: WebSocketServer; sockets: Set<WebSocket> }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const sockets = new Set<WebSocket>();
    wss.on('connection', (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (d) => {
        if (JSON.parse(String(d)).t === 'hello') ws.send(JSON.stringify({ t: 'ready' }));
      });
    });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const { port } = wss.address() as { port: number };
    return { url: `ws://127.0.0.1:${port}/api`, wss, sockets };
  }

  it('rejects a call in flight with LINK_DOWN when the link drops (it may have run)', async () => {
    const srv = await silentServer();
    const c = client(srv.url, 't', 'http://x');
    await until(c, 'connected');
    const inFlight = c.call('app.info', {}).catch((e: unknown) => e);
    await expect.poll(() => srv.sockets.size).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    for (const s of srv.sockets) s.terminate();
    expect(await inFlight).toMatchObject({ code: 'LINK_DOWN' });
  });

  it('rejects a call nobody answers with TIMEOUT', async () => {
    const srv = await silentServer();
    const c = client(srv.url, 't', 'http://x', { callTimeoutMs: 200 });
    await expect(c.call('app.info', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('ignores frames it cannot read and keeps working', async () => {
    const srv = await silentServer();
    srv.wss.on('connection', (ws) => {
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.t !== 'call') return;
        ws.send('garbage{');
        ws.send(JSON.stringify({ t: 'result', id: 'x' }));
        ws.send(JSON.stringify({ t: 'result', id: m.id, ok: true, value: { fine: true } }));
      });
    });
    const c = client(srv.url, 't', 'http://x');
    expect(await c.call('app.info', {})).toEqual({ fine: true });
  });

  it('closes on request: calls reject and no reconnect happens', async () => {
    const srv = await silentServer();
    const c = client(srv.url, 't', 'http://x');
    await until(c, 'connected');
    const pending = c.call('app.info', {}).catch((e: unknown) => e);
    c.close();
    expect(await pending).toMatchObject({ code: 'LINK_DOWN' });
    expect(c.connection.getState().status).toBe('closed');
    await new Promise((r) => setTimeout(r, 300));
    expect(c.connection.getState().status).toBe('closed');
  });
});
