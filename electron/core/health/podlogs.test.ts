import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxPaths } from '../../../lab/kube/box-files.ts';
import { ensureBoxCerts } from '../../../lab/kube/certs.ts';
import type { Hub } from '../../../lab/kube/hub.ts';
import { startTestHub, tempState, waitFor, writeServerJson } from '../../../lab/kube/testing.ts';
import { ApiSession } from './collect.ts';
import { CUT_MARKER, LineCapper, MAX_LOG_LINE, podLogs, savePodLog } from './podlogs.ts';
import { fakeShell, hubShell } from './testing.ts';

/** Pod logs through the tunnel against the lab's API server in-process, and against a box that sends one endless line. */

let state: string;
let hub: Hub;
let dir: string;
let session: ApiSession;

beforeAll(async () => {
  state = await tempState();
  dir = await writeServerJson(state, { name: 'box-21', hostname: 'edge-21', ip: '10.77.0.31', scenario: 'mixed', timeScale: 20 });
  hub = await startTestHub(state, { warmupMs: 60_000 });
  await waitFor('box served', () => hub.serving().length === 1, 60_000);
  session = await ApiSession.open(hubShell(dir));
}, 90_000);

afterAll(async () => {
  await session?.close();
  await hub?.close();
  await fs.rm(state, { recursive: true, force: true });
});

const podNamed = (prefix: string) => {
  const p = hub
    .cluster('box-21')!
    .store.list('pods')
    .items.find((x) => x.metadata.name.startsWith(prefix))!;
  return { namespace: p.metadata.namespace!, pod: p.metadata.name };
};

async function collect(o: Omit<Parameters<typeof podLogs>[1], 'onText'>): Promise<string> {
  let text = '';
  await podLogs(session, { ...o, onText: (s) => void (text += s) });
  return text;
}

describe('podLogs', { timeout: 60_000 }, () => {
  it('reads the tail of a running container, and the previous one of a crash-looping container', async () => {
    const tail = await collect({ ...podNamed('telemetry'), container: 'collector', tailLines: 5 });
    expect(tail.split('\n').filter(Boolean)).toHaveLength(5);
    const prev = await collect({ ...podNamed('sensor-gateway'), previous: true, tailLines: 20 });
    expect(prev.length).toBeGreaterThan(0);
  });

  it('streams a follow until it is stopped', async () => {
    const ctl = new AbortController();
    const chunks: Array<{ at: number; s: string }> = [];
    const t0 = Date.now();
    const done = podLogs(session, {
      ...podNamed('telemetry'),
      container: 'collector',
      follow: true,
      tailLines: 1,
      signal: ctl.signal,
      onText: (s) => void chunks.push({ at: Date.now(), s }),
    });
    await waitFor('lines after the first', () => chunks.some((c) => c.at - t0 > 300), 15_000);
    ctl.abort();
    await done;
    console.log(`follow: ${chunks.length} chunks in ${Date.now() - t0} ms`);
  });

  it('says clearly which pod or container is not there', async () => {
    await expect(collect({ namespace: 'edge', pod: 'no-such-pod' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(collect({ ...podNamed('telemetry'), container: 'nope' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: /not valid/ });
    await expect(collect({ namespace: 'edge', pod: '../../x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('saves a log to a file', async () => {
    const file = path.join(state, 'saved.log');
    const r = await savePodLog(session, { ...podNamed('telemetry'), container: 'collector', tailLines: 50, file });
    const text = await fs.readFile(file, 'utf8');
    expect(r.bytes).toBe(Buffer.byteLength(text));
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('cuts a line without end at 64 KiB with a marker, whatever the box sends', async () => {
    const certs = await ensureBoxCerts(boxPaths(dir).tls, 'edge-21', '10.77.0.31');
    const mib = Buffer.alloc(1 << 20, 0x61);
    let sent = 0;
    const server = tls.createServer({ cert: certs.serverCert, key: certs.serverKey }, (s) => {
      s.on('error', () => undefined);
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
        const pump = () => {
          // 256 MiB of one line, then a newline and a short one.
          while (sent < 256 << 20) {
            sent += mib.length;
            if (!s.write(`${mib.length.toString(16)}\r\n${mib.toString('latin1')}\r\n`)) return void s.once('drain', pump);
          }
          s.end('6\r\n\nshort\r\n0\r\n\r\n');
        };
        pump();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const s2 = await ApiSession.open(
      fakeShell(
        () => net.connect({ host: '127.0.0.1', port }),
        () => fs.readFile(boxPaths(dir).kubeconfig, 'utf8'),
      ),
    );
    let text = '';
    let peak = 0;
    try {
      await podLogs(s2, {
        namespace: 'edge',
        pod: 'flood',
        onText: (s) => {
          text += s;
          peak = Math.max(peak, process.memoryUsage().rss);
        },
      });
    } finally {
      await s2.close();
      server.close();
    }
    console.log(`endless line: ${sent >> 20} MiB sent, ${text.length} characters passed on, rss peak ${Math.round(peak / 2 ** 20)} MiB`);
    expect(text).toBe(`${'a'.repeat(MAX_LOG_LINE)}${CUT_MARKER}\nshort`);
  });
});

describe('LineCapper', () => {
  it('keeps lines whole below the bound, across chunks, and UTF-8 intact at a cut', () => {
    const c = new LineCapper(8);
    expect(c.push(Buffer.from('ab\ncd'))).toBe('ab\n');
    expect(c.push(Buffer.from('e\n'))).toBe('cde\n');
    // 'é' is two bytes: a cut at 8 must not split it.
    expect(c.push(Buffer.from('1234567é89\nok\n'))).toBe(`1234567${CUT_MARKER}\nok\n`);
    expect(c.push(Buffer.from('xyz'))).toBe('');
    expect(c.flushPartial()).toBe('xyz');
    // The flushed part still counts toward the line's bound.
    expect(c.push(Buffer.from('123456'))).toBe(`12345${CUT_MARKER}`);
    expect(c.push(Buffer.from('789'))).toBe('');
    expect(c.push(Buffer.from('\n'))).toBe('\n');
    expect(c.end()).toBe('');
  });
});
