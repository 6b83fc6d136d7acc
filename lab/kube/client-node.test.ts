import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { CoreV1Api, KubeConfig, Log, Metrics, Watch, makeInformer, topPods, type V1Pod } from '@kubernetes/client-node';
import type { Hub } from './hub.ts';
import { bridge, startTestHub, tempState, waitFor, writeServerJson, type Bridge } from './testing.ts';

/** @kubernetes/client-node (the library Fieldlink's health view uses) against the lab API server. */

let state: string;
let hub: Hub;
let br: Bridge;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  state = await tempState();
  const dir = await writeServerJson(state, { name: 'box-05', hostname: 'edge-05', ip: '10.77.0.15', scenario: 'pods-500', timeScale: 50 });
  hub = await startTestHub(state, { bookmarkMs: 300 });
  br = await bridge(dir);
  kc = new KubeConfig();
  kc.loadFromFile(br.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
}, 60_000);

afterAll(async () => {
  await br?.close();
  await hub?.close();
  await fs.rm(state, { recursive: true, force: true });
});

interface Seen {
  type: string;
  obj: { kind?: string; code?: number; reason?: string; metadata?: { name?: string; resourceVersion?: string } };
}

async function watchFor(path: string, query: Record<string, string | number | boolean>, until: (seen: Seen[]) => boolean, timeoutMs = 20_000): Promise<Seen[]> {
  const seen: Seen[] = [];
  let ended = false;
  const ctl = await new Watch(kc).watch(
    path,
    query,
    (type, obj) => {
      if (seen.length < 10_000) seen.push({ type, obj });
    },
    () => {
      ended = true;
    },
  );
  try {
    await waitFor(`watch on ${path}`, () => until(seen) || (ended && seen.length > 0), timeoutMs);
  } finally {
    ctl.abort();
  }
  return seen;
}

describe('client-node against the lab API server', { timeout: 90_000 }, () => {
  it('pages through 500 pods with limit/continue and gets each exactly once', async () => {
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 120, _continue: cont });
      names.push(...page.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`));
      cont = page.metadata?._continue || undefined;
      if (cont) expect(page.metadata?.remainingItemCount).toBeGreaterThan(0);
      pages++;
    } while (cont && pages < 20);
    expect(pages).toBe(5);
    expect(names).toHaveLength(500);
    expect(new Set(names).size).toBe(500);
  });

  it('filters with label and field selectors as the server would', async () => {
    const all = (await core.listPodForAllNamespaces()).items;
    const front = await core.listPodForAllNamespaces({ labelSelector: 'tier=frontend' });
    expect(front.items.length).toBe(all.filter((p) => p.metadata?.labels?.tier === 'frontend').length);
    expect(front.items.length).toBeGreaterThan(0);
    const set = await core.listPodForAllNamespaces({ labelSelector: 'app in (svc-0001,svc-0002),tier!=frontend' });
    expect(set.items.every((p) => ['svc-0001', 'svc-0002'].includes(p.metadata!.labels!.app!) && p.metadata!.labels!.tier !== 'frontend')).toBe(true);
    expect(set.items.length).toBe(20);
    const ns = await core.listNamespacedPod({ namespace: 'tenant-03', fieldSelector: 'status.phase=Running,spec.nodeName=edge-05' });
    expect(ns.items.length).toBeGreaterThan(0);
    expect(ns.items.every((p) => p.metadata?.namespace === 'tenant-03' && p.status?.phase === 'Running')).toBe(true);
    await expect(core.listPodForAllNamespaces({ fieldSelector: 'spec.bogus=1' })).rejects.toThrow(/field label not supported/);
  });

  it('watches from a list resourceVersion and sees changes after it', async () => {
    const list = await core.listPodForAllNamespaces({ limit: 1 });
    const rv = list.metadata!.resourceVersion!;
    const seen = await watchFor('/api/v1/pods', { resourceVersion: rv }, (s) => s.some((e) => e.type === 'MODIFIED'));
    expect(seen.some((e) => e.type === 'MODIFIED')).toBe(true);
    expect(seen.every((e) => Number(e.obj.metadata?.resourceVersion) > Number(rv))).toBe(true);
  });

  it('answers a watch from an expired resourceVersion with 410 Gone', async () => {
    const seen = await watchFor('/api/v1/pods', { resourceVersion: '1' }, (s) => s.some((e) => e.type === 'ERROR'));
    const err = seen.find((e) => e.type === 'ERROR');
    expect(err?.obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends bookmarks when allowWatchBookmarks is set', async () => {
    const list = await core.listNamespacedPod({ namespace: 'kube-system' });
    const seen = await watchFor('/api/v1/namespaces/kube-system/pods', { resourceVersion: list.metadata!.resourceVersion!, allowWatchBookmarks: true }, (s) =>
      s.some((e) => e.type === 'BOOKMARK'),
    );
    const bm = seen.find((e) => e.type === 'BOOKMARK');
    expect(bm?.obj.kind).toBe('Pod');
    expect(Number(bm?.obj.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(list.metadata!.resourceVersion));
  });

  it('streams the current state then an initial-events-end bookmark for sendInitialEvents (watch-list)', async () => {
    const count = (await core.listNamespacedPod({ namespace: 'tenant-01' })).items.length;
    const seen = await watchFor('/api/v1/namespaces/tenant-01/pods', { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionMatch: 'NotOlderThan' }, (s) =>
      s.some((e) => e.type === 'BOOKMARK'),
    );
    const end = seen.findIndex((e) => e.type === 'BOOKMARK');
    expect(seen.slice(0, end).filter((e) => e.type === 'ADDED')).toHaveLength(count);
    expect((seen[end]!.obj.metadata as { annotations?: Record<string, string> }).annotations?.['k8s.io/initial-events-end']).toBe('true');
  });

  it('serves metrics.k8s.io to the Metrics class and topPods', async () => {
    const metrics = new Metrics(kc);
    const nodes = await metrics.getNodeMetrics();
    expect(nodes.items[0]?.metadata.name).toBe('edge-05');
    expect(nodes.items[0]?.usage.cpu).toMatch(/^\d+n$/);
    const pods = await metrics.getPodMetrics('tenant-02');
    expect(pods.items.length).toBeGreaterThan(0);
    expect(pods.items[0]?.containers[0]?.usage.memory).toMatch(/^\d+Ki$/);
    const top = await topPods(core, metrics, 'kube-system');
    expect(top.some((p) => p.Pod.metadata?.name?.startsWith('coredns-') && Number(p.CPU.CurrentUsage) > 0)).toBe(true);
  });

  it('streams a pod log to the Log class with tailLines and timestamps', async () => {
    const pod = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' })).items[0]!;
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const ended = new Promise((r) => out.on('end', r));
    // Not aborted: client-node pipes the fetch body without an error handler, so abort() on a Log
    // raises an unhandled AbortError in the caller's process (a follow must end from the server side).
    await new Log(kc).log('kube-system', pod.metadata!.name!, 'coredns', out, { tailLines: 2, timestamps: true });
    await ended;
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z level=/);
  });

  it('keeps an informer cache in step with the server', async () => {
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/tenant-07/pods', () => core.listNamespacedPod({ namespace: 'tenant-07' }));
    let updates = 0;
    informer.on('update', () => updates++);
    await informer.start();
    try {
      const server = await core.listNamespacedPod({ namespace: 'tenant-07' });
      expect(informer.list().length).toBe(server.items.length);
      // A crash-looping deployment lives in tenant-07 (svc-0007): at 50x it restarts every few seconds.
      await waitFor('an informer update', () => updates > 0, 30_000);
      const again = await core.listNamespacedPod({ namespace: 'tenant-07' });
      await waitFor('the cache to match the server', () => informer.list().length === again.items.length, 10_000);
    } finally {
      await informer.stop();
    }
  });
});
