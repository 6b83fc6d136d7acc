import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Shell } from '../transport/index.ts';
import { openTunnel, type Forwarding, type Tunnel } from './tunnel.ts';

/** Stands in for the pooled SSH shell: forwardOut dials a local echo server (127.0.0.1 only). */
function fakeSsh(target: net.AddressInfo, opened: string[]): Shell & Forwarding {
  return {
    kind: 'ssh',
    target: 'root@box:22',
    forwardOut: (host, port) =>
      new Promise((resolve, reject) => {
        opened.push(`${host}:${port}`);
        const s = net.connect({ host: '127.0.0.1', port: target.port }, () => resolve(s));
        s.once('error', reject);
      }),
    exec: async () => ({ code: 0, signal: null, stdout: new Uint8Array(), stderr: new Uint8Array(), truncated: false }),
    put: async () => undefined,
    get: async () => new Uint8Array(),
    close: async () => undefined,
  };
}

describe('health tunnel', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('listens on 127.0.0.1 only and carries bytes both ways through a channel per connection', async () => {
    const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((r) => echo.once('listening', r));
    cleanup.push(() => new Promise((r) => echo.close(() => r(undefined))));
    const opened: string[] = [];
    const t: Tunnel = await openTunnel(fakeSsh(echo.address() as net.AddressInfo, opened), { host: '127.0.0.1', port: 6443 }, { keepAliveMs: 0 });
    cleanup.push(() => t.close());
    expect(t.host).toBe('127.0.0.1');
    for (let i = 0; i < 2; i++) {
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect({ host: '127.0.0.1', port: t.port }, () => c.end(`hello ${i}`));
        let buf = '';
        c.on('data', (d: Buffer) => (buf += d.toString()));
        c.on('end', () => resolve(buf));
        c.on('error', reject);
      });
      expect(got).toBe(`hello ${i}`);
    }
    expect(opened).toEqual(['127.0.0.1:6443', '127.0.0.1:6443']);
    await t.close();
    await expect(new Promise((resolve, reject) => net.connect({ host: '127.0.0.1', port: t.port }).once('connect', resolve).once('error', reject))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
