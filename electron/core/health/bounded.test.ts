import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedHttp, loadClientNode, MAX_RESPONSE_BYTES } from './collect.ts';

/** An "API" on 127.0.0.1 that answers /api/v1/nodes with a small list, and /api/v1/pods with JSON that never ends. */
let server: http.Server;
let base: string;
let sent = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/api/v1/nodes')) return res.end('{"kind":"NodeList","items":[{"metadata":{"name":"edge-01"}}]}');
    res.write('{"kind":"PodList","items":[{"metadata":{"name":"');
    const chunk = Buffer.alloc(1 << 20, 'x');
    const pump = () => {
      while (!res.destroyed && sent < 4 * MAX_RESPONSE_BYTES && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed && sent < 4 * MAX_RESPONSE_BYTES) res.once('drain', pump);
      else res.end();
    };
    res.on('close', () => undefined);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('health API answers are read through a byte bound', () => {
  it('reads a normal answer, and stops an endless one at the bound with a clear error', async () => {
    const k8s = await loadClientNode();
    const config = k8s.createConfiguration({ baseServer: new k8s.ServerConfiguration(base, {}), httpApi: boundedHttp(k8s) });
    const core = new k8s.CoreV1Api(config);
    expect((await core.listNode()).items.map((n) => n.metadata?.name)).toEqual(['edge-01']);
    await expect(core.listPodForAllNamespaces({ limit: 500 })).rejects.toMatchObject({ code: 'PROTOCOL', details: { tooBig: true } });
    // The server was cut off well before it sent everything it meant to.
    expect(sent).toBeLessThan(4 * MAX_RESPONSE_BYTES);
  });
});
