import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
import { boxPaths } from '../../../lab/kube/box-files.ts';
import { ensureBoxCerts } from '../../../lab/kube/certs.ts';
import type { Hub } from '../../../lab/kube/hub.ts';
import type { KubeObject } from '../../../lab/kube/store.ts';
import { startTestHub, tempState, waitFor, writeServerJson } from '../../../lab/kube/testing.ts';
import { ApiSession } from './collect.ts';
import { slimPod } from './informers.ts';
import { LiveHealth, type LiveUpdate } from './live.ts';
import { fakeShell, hubShell, type FakeBox } from './testing.ts';
import { boundedLines } from './watch.ts';

const run = (args: string[], cwd: string) =>
  new Promise<void>((resolve, reject) => execFile('openssl', args, { cwd }, (err, _out, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve())));

/** A CA and a serving certificate it signed that was valid in January 2020 only (openssl 3.0's x509 cannot backdate; ca can). */
async function expiredServerCert(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  await fs.mkdir(path.join(dir, 'db'), { recursive: true });
  await fs.writeFile(path.join(dir, 'db', 'index'), '');
  await fs.writeFile(path.join(dir, 'db', 'serial'), '01\n');
  const conf = ['[ca]', 'default_ca = d', '[d]', 'database = db/index', 'new_certs_dir = db', 'serial = db/serial', 'default_md = sha256', 'policy = p', 'unique_subject = no'];
  await fs.writeFile(path.join(dir, 'ca.cnf'), [...conf, '[p]', 'commonName = supplied', '[ext]', 'subjectAltName = DNS:kubernetes,IP:127.0.0.1', ''].join('\n'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=expired-ca', '-days', '3650'], dir);
  await run(['req', ...ec, '-keyout', 's.key', '-out', 's.csr', '-subj', '/CN=k3s'], dir);
  await run(
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.crt',
      '-keyfile',
      'ca.key',
      '-in',
      's.csr',
      '-out',
      's.crt',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200201000000Z',
      '-extensions',
      'ext',
      '-notext',
    ],
    dir,
  );
  const read = (f: string) => fs.readFile(path.join(dir, f), 'utf8');
  return { ca: await read('ca.crt'), cert: await read('s.crt'), key: await read('s.key') };
}

/**
 * LiveHealth against the lab's API server in-process (real list, watch, 410 Gone, limit/continue),
 * reached through a stand-in for the pooled SSH shell: forwardOut dials the box's API socket, exec
 * answers the kubeconfig read. The stand-in can cut the link (channels go silent, new ones hang), as
 * a pulled LAN cable does.
 */

function live(shell: FakeBox, o: { staleAfterMs?: number; throttleMs?: number } = {}) {
  const updates: Array<LiveUpdate & { at: number }> = [];
  const lh = new LiveHealth({
    target: 'box',
    connect: async (signal) => {
      const session = await ApiSession.open(shell, { signal });
      return { session, close: () => session.close() };
    },
    onUpdate: (u) => void updates.push({ ...u, at: Date.now() }),
    retry: (n) => Math.min(1000, 100 * n),
    ...o,
  });
  return { lh, updates, last: () => updates.at(-1) };
}

const podNames = (u: LiveUpdate | undefined) => new Set(u?.snapshot?.pods.map((p) => `${p.namespace}/${p.name}`) ?? []);

function copyPod(hub: Hub, box: string, name: string, extra: (p: KubeObject) => void = () => undefined): KubeObject {
  const store = hub.cluster(box)!.store;
  const all = store.list('pods').items;
  const src = all.find((p) => p.metadata.namespace === 'edge') ?? all[0]!;
  const pod = structuredClone(src);
  pod.metadata = { ...pod.metadata, name, uid: `uid-${name}` };
  extra(pod);
  return store.put('pods', pod);
}

let state: string;
let hub: Hub;
let mixed: string;
let big: string;
const running: LiveHealth[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  state = await tempState();
  mixed = await writeServerJson(state, { name: 'box-11', hostname: 'edge-11', ip: '10.77.0.21', scenario: 'mixed', timeScale: 20 });
  big = await writeServerJson(state, { name: 'box-12', hostname: 'edge-12', ip: '10.77.0.22', scenario: 'pods-5000' });
  hub = await startTestHub(state, { warmupMs: 60_000 });
  await waitFor('both boxes served', () => hub.serving().length === 2, 60_000);
}, 90_000);

afterAll(async () => {
  for (const l of running) await l.stop();
  await hub?.close();
  await fs.rm(state, { recursive: true, force: true });
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
}, 30_000);

describe('LiveHealth', { timeout: 60_000 }, () => {
  it('sends a first update at once, then goes live with the pods and warnings the box has', async () => {
    const t0 = Date.now();
    const { lh, updates, last } = live(hubShell(mixed));
    running.push(lh);
    lh.start();
    await waitFor('first update', () => updates.length > 0, 2000);
    expect(updates[0]!.at - t0).toBeLessThan(100);
    expect(updates[0]!.state).toBe('connecting');
    await waitFor('live', () => last()?.state === 'live', 20_000);
    const snap = last()!.snapshot!;
    console.log(`live ${Date.now() - t0} ms after start; ${snap.podCount} pods, ${snap.warningCount} warnings, metrics ${snap.metrics}`);
    expect(snap.podCount).toBe(hub.cluster('box-11')!.store.count('pods'));
    expect(snap.via).toBe('api');
    expect(snap.nodes.map((n) => n.name)).toEqual(['edge-11']);
    expect(snap.diagnosis.map((d) => d.code)).toEqual(expect.arrayContaining(['POD_CRASH_LOOP', 'POD_OOM_KILLED', 'IMAGE_PULL']));
    expect(last()!.lastGoodAt).not.toBeNull();
    expect(last()!.error).toBeNull();
    // Throttled: never two updates closer than throttleMs (250), beyond the first.
    const gaps = updates.slice(1).map((u, i) => u.at - updates[i]!.at);
    expect(Math.min(...gaps.slice(1))).toBeGreaterThanOrEqual(240);
  });

  it('shows a pod the box adds, changes or deletes within 1 s, with box text kept as text and a 1 MB annotation not kept', async () => {
    const { lh, last } = live(hubShell(mixed));
    running.push(lh);
    lh.start();
    await waitFor('live', () => last()?.state === 'live', 20_000);
    const name = 'x-<b>bold</b>-\u001b[31mred';
    const t0 = Date.now();
    copyPod(hub, 'box-11', name, (p) => void (p.metadata.annotations = { big: 'a'.repeat(1 << 20) }));
    await waitFor('the new pod', () => podNames(last()).has(`edge/${name}`), 5000);
    const added = Date.now() - t0;
    const pod = last()!.snapshot!.pods.find((p) => p.name === name)!;
    expect(JSON.stringify(pod).length).toBeLessThan(8192);
    const t1 = Date.now();
    hub.cluster('box-11')!.store.remove('pods', `edge/${name}`);
    await waitFor('the pod gone', () => !podNames(last()).has(`edge/${name}`), 5000);
    const removed = Date.now() - t1;
    console.log(`pod added -> update ${added} ms; deleted -> update ${removed} ms`);
    expect(added).toBeLessThan(1000);
    expect(removed).toBeLessThan(1000);
  });

  it('keeps no annotation, managed field or spec in its cache', () => {
    const s = slimPod({
      metadata: { name: 'p', namespace: 'n', resourceVersion: '7', annotations: { a: 'x'.repeat(1 << 20) }, managedFields: [{ x: 'y'.repeat(1 << 16) }] },
      spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'E', value: 'v'.repeat(1 << 16) }] }] },
      status: { phase: 'Running' },
    })!;
    expect(JSON.stringify(s).length).toBeLessThan(2048);
    expect(slimPod({ metadata: {} })).toBeNull();
    expect(slimPod('garbage')).toBeNull();
  });

  it('goes stale within staleAfterMs when the link drops, keeping the last data, and live again by itself', async () => {
    const shell = hubShell(mixed);
    const { lh, last, updates } = live(shell, { staleAfterMs: 2000 });
    running.push(lh);
    lh.start();
    await waitFor('live', () => last()?.state === 'live', 20_000);
    const before = last()!;
    const t0 = Date.now();
    shell.cut();
    await waitFor('stale', () => last()?.state === 'stale', 5000);
    const staleAfter = Date.now() - t0;
    expect(last()!.snapshot).not.toBeNull();
    expect(Date.parse(last()!.lastGoodAt!)).toBeGreaterThanOrEqual(Date.parse(before.lastGoodAt!));
    expect(Date.parse(last()!.lastGoodAt!)).toBeLessThanOrEqual(t0 + 50);
    const t1 = Date.now();
    shell.restore();
    await waitFor('live again', () => last()?.state === 'live', 10_000);
    console.log(`stale ${staleAfter} ms after the cut (staleAfterMs 2000); live ${Date.now() - t1} ms after the link came back; ${lh.stats().connects} connects`);
    expect(staleAfter).toBeLessThan(2000);
    expect(lh.stats().connects).toBeGreaterThanOrEqual(2);
    expect(updates.some((u) => u.state === 'connecting' && u.at > t0)).toBe(false);
  });

  it('builds a snapshot of 5000 pods cheaply from its caches', async () => {
    const { lh, last } = live(hubShell(big));
    running.push(lh);
    const t0 = Date.now();
    lh.start();
    await waitFor('live', () => last()?.state === 'live', 40_000);
    console.log(`pods-5000 live in ${Date.now() - t0} ms`);
    expect(last()!.snapshot!.podCount).toBe(hub.cluster('box-12')!.store.count('pods'));
    expect(last()!.snapshot!.pods.length).toBeGreaterThanOrEqual(5000);
    const times: number[] = [];
    const builds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = Date.now();
      const p = copyPod(hub, 'box-12', `bench-${i}`);
      await waitFor('change seen', () => podNames(last()).has(`${p.metadata.namespace}/bench-${i}`), 5000);
      times.push(Date.now() - s);
      builds.push(lh.stats().buildMs!);
    }
    builds.sort((x, y) => x - y);
    console.log(`pods-5000: change -> update ${times.join(', ')} ms; snapshot build ${builds.join(', ')} ms (median ${builds[2]})`);
    expect(builds[2]).toBeLessThan(150);
    expect(Math.max(...times)).toBeLessThan(1000);
  });
});

describe('LiveHealth on an API that ends every watch after a second', { timeout: 60_000 }, () => {
  let state2: string;
  let hub2: Hub;
  let dir: string;
  beforeAll(async () => {
    state2 = await tempState();
    dir = await writeServerJson(state2, { name: 'box-13', hostname: 'edge-13', ip: '10.77.0.23', scenario: 'mixed' });
    hub2 = await startTestHub(state2, { warmupMs: 60_000, maxWatchMs: 1000, bookmarkMs: 600_000 });
    await waitFor('box served', () => hub2.serving().length === 1, 60_000);
  }, 90_000);
  afterAll(async () => {
    await hub2?.close();
    await fs.rm(state2, { recursive: true, force: true });
  });

  it('restarts its watches, stays live, sees changes within 1 s, and relists on 410 Gone', async () => {
    const { lh, last, updates } = live(hubShell(dir));
    running.push(lh);
    lh.start();
    await waitFor('live', () => last()?.state === 'live', 20_000);
    const w0 = lh.stats().watches!.pods;
    await new Promise((r) => setTimeout(r, 4000));
    const w1 = lh.stats().watches!.pods;
    expect(w1 - w0).toBeGreaterThanOrEqual(3);
    const t0 = Date.now();
    copyPod(hub2, 'box-13', 'after-churn');
    await waitFor('the new pod', () => podNames(last()).has('edge/after-churn'), 5000);
    const seenIn = Date.now() - t0;
    // History the pods watch has not seen (other resources move the version on), then compacted: its next watch gets 410.
    const lists0 = lh.stats().lists!.pods;
    const store = hub2.cluster('box-13')!.store;
    for (let i = 0; i < 3; i++) store.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `churn-${i}` } } as KubeObject);
    store.compact();
    await waitFor('a relist', () => lh.stats().lists!.pods > lists0, 5000);
    copyPod(hub2, 'box-13', 'after-relist');
    await waitFor('the pod after the relist', () => podNames(last()).has('edge/after-relist'), 5000);
    console.log(`watch churn: ${w1 - w0} pod watches in 4 s; change seen in ${seenIn} ms; relisted after 410 (lists ${lists0} -> ${lh.stats().lists!.pods})`);
    expect(seenIn).toBeLessThan(1000);
    expect(updates.slice(updates.findIndex((u) => u.state === 'live')).every((u) => u.state === 'live')).toBe(true);
  });
});

describe('LiveHealth against a hostile or broken API', { timeout: 60_000 }, () => {
  it('says the certificate is wrong, clearly, and keeps trying without throwing', async () => {
    const other = await ensureBoxCerts(path.join(state, 'other-tls'), 'elsewhere', '10.9.9.9');
    const b64 = Buffer.from(other.serverCa).toString('base64');
    const shell = fakeShell(
      () => net.connect({ path: boxPaths(mixed).socket }),
      async () => (await fs.readFile(boxPaths(mixed).kubeconfig, 'utf8')).replace(/certificate-authority-data: .*/, `certificate-authority-data: ${b64}`),
    );
    const { lh, last } = live(shell);
    running.push(lh);
    lh.start();
    await waitFor('an error', () => last()?.error, 10_000);
    expect(last()!.state).toBe('connecting');
    expect(last()!.error!.code).toBe('PROTOCOL');
    expect(last()!.error!.message).toMatch(/certificate/);
    await lh.stop();
  });

  it('says an API that answers garbage is not Kubernetes, and keeps trying', async () => {
    const certs = await ensureBoxCerts(boxPaths(mixed).tls, 'edge-11', '10.77.0.21');
    const server = tls.createServer({ cert: certs.serverCert, key: certs.serverKey }, (s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n<html>not json</html>\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const shell = fakeShell(
      () => net.connect({ host: '127.0.0.1', port }),
      () => fs.readFile(boxPaths(mixed).kubeconfig, 'utf8'),
    );
    const { lh, last } = live(shell);
    running.push(lh);
    lh.start();
    try {
      await waitFor('an error', () => last()?.error, 10_000);
      expect(last()!.error!.code).toBe('PROTOCOL');
      expect(last()!.error!.message).toMatch(/not Kubernetes JSON/);
      expect(last()!.state).toBe('connecting');
    } finally {
      await lh.stop();
      server.close();
    }
  });

  it('says the certificate has expired (or the clock is wrong), not that it is foreign', async () => {
    const expired = await expiredServerCert(path.join(state, 'expired-tls'));
    const server = tls.createServer({ cert: expired.cert, key: expired.key }, (s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const b64 = Buffer.from(expired.ca).toString('base64');
    const shell = fakeShell(
      () => net.connect({ host: '127.0.0.1', port }),
      async () => (await fs.readFile(boxPaths(mixed).kubeconfig, 'utf8')).replace(/certificate-authority-data: .*/, `certificate-authority-data: ${b64}`),
    );
    const { lh, last } = live(shell);
    running.push(lh);
    lh.start();
    try {
      await waitFor('an error', () => last()?.error, 10_000);
      expect(last()!.error!.code).toBe('PROTOCOL');
      expect(last()!.error!.message).toMatch(/expired/);
      expect(last()!.error!.message).toMatch(/clock/);
      expect(last()!.state).toBe('connecting');
    } finally {
      await lh.stop();
      server.close();
    }
  });

  it('cuts a watch line over the bound instead of buffering it', async () => {
    async function* endless() {
      const chunk = new Uint8Array(1 << 20).fill(0x61);
      for (let i = 0; i < 64; i++) yield chunk;
    }
    const seen: string[] = [];
    const read = async () => {
      for await (const l of boundedLines(endless(), 16 << 20)) seen.push(l);
    };
    await expect(read()).rejects.toBeInstanceOf(FieldlinkError);
    expect(seen).toEqual([]);
    const two = async function* () {
      yield new TextEncoder().encode('{"a":1}\n{"b"');
      yield new TextEncoder().encode(':2}\n');
    };
    const lines: string[] = [];
    for await (const l of boundedLines(two(), 1024)) lines.push(l);
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });
});
