import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from './hub.ts';
import { boxPaths } from './box-files.ts';
import { apiRequest, bridge, kubectl, startTestHub, tempState, waitFor, writeServerJson, type Bridge } from './testing.ts';

/** The hub's life cycle: boxes coming and going, restarts, agents joining, flags from k3s's files. */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ state: string; start: () => Promise<Hub> }> {
  const state = await tempState();
  cleanups.push(() => fs.rm(state, { recursive: true, force: true }));
  return {
    state,
    start: async () => {
      const hub = await startTestHub(state);
      cleanups.push(() => hub.close());
      return hub;
    },
  };
}

async function open(dir: string): Promise<Bridge> {
  const br = await bridge(dir);
  cleanups.push(() => br.close());
  return br;
}

const exists = (f: string) =>
  fs.stat(f).then(
    () => true,
    () => false,
  );

describe('kube hub', { timeout: 90_000 }, () => {
  it('serves a box when server.json appears and stops when it goes', async () => {
    const { state, start } = await setup();
    const hub = await start();
    expect(hub.serving()).toEqual([]);
    const dir = await writeServerJson(state, { name: 'box-02', hostname: 'edge-02', ip: '10.77.0.12', scenario: 'healthy' });
    await waitFor('the socket', () => exists(boxPaths(dir).socket), 10_000);
    // The socket file appears on listen, a moment before the hub counts the box as served.
    await waitFor('the box served', () => hub.serving().includes('box-02'), 10_000);
    expect(hub.serving()).toEqual(['box-02']);
    await fs.rm(boxPaths(dir).serverJson);
    await waitFor('the socket to go', async () => !(await exists(boxPaths(dir).socket)), 10_000);
    await waitFor('the stopped status', async () => (JSON.parse(await fs.readFile(boxPaths(dir).status, 'utf8')) as { state: string }).state === 'stopped');
    expect(hub.serving()).toEqual([]);
  });

  it('keeps certificates across a hub restart, so an old kubeconfig still works', async () => {
    const { state } = await setup();
    const dir = await writeServerJson(state, { name: 'box-03', hostname: 'edge-03', ip: '10.77.0.13', scenario: 'healthy' });
    const first = await startTestHub(state);
    await waitFor('kubeconfig', () => exists(boxPaths(dir).kubeconfig));
    const before = await fs.readFile(boxPaths(dir).kubeconfig, 'utf8');
    await first.close();
    const hub = await startTestHub(state);
    cleanups.push(() => hub.close());
    expect(await fs.readFile(boxPaths(dir).kubeconfig, 'utf8')).toBe(before);
    const br = await open(dir);
    const r = await kubectl(br.kubeconfig, ['get', 'nodes', '-o', 'name']);
    expect(r.stdout.trim()).toBe('node/edge-03');

    // k3s-uninstall.sh removes /var/lib/rancher/k3s: the next start is a new cluster with a new CA.
    await fs.rm(path.join(dir, 'var', 'lib', 'rancher', 'k3s'), { recursive: true });
    await fs.rm(boxPaths(dir).serverJson);
    await waitFor('stopped', async () => !(await exists(boxPaths(dir).socket)));
    await writeServerJson(state, { name: 'box-03', hostname: 'edge-03', ip: '10.77.0.13', scenario: 'healthy' });
    await waitFor('a new kubeconfig', async () => (await fs.readFile(boxPaths(dir).kubeconfig, 'utf8').catch(() => before)) !== before);
    const stale = await kubectl(br.kubeconfig, ['get', 'nodes', '-o', 'name']);
    expect(stale.code).not.toBe(0);
  });

  it('restarts every running container after a box reboot (new boot id), but not after a k3s restart', async () => {
    const { state, start } = await setup();
    const dir = path.join(state, 'boxes', 'box-08');
    await fs.mkdir(path.join(dir, 'run', 'lab'), { recursive: true });
    await fs.writeFile(boxPaths(dir).bootId, 'aaaa\n');
    await writeServerJson(state, { name: 'box-08', hostname: 'edge-08', ip: '10.77.0.18', scenario: 'healthy' });
    await start();
    const br = await open(dir);
    const restarts = async () => {
      const r = await kubectl(br.kubeconfig, [
        'get',
        'pods',
        '-n',
        'kube-system',
        '-l',
        'k8s-app=kube-dns',
        '-o',
        'jsonpath={.items[0].status.containerStatuses[0].restartCount} {.items[0].status.containerStatuses[0].lastState.terminated.reason}',
      ]);
      return r.stdout.trim();
    };
    await waitFor('API', async () => (await restarts()) === '0');
    const restartK3s = async () => {
      await fs.rm(boxPaths(dir).serverJson);
      await waitFor('stopped', async () => !(await exists(boxPaths(dir).socket)));
      await writeServerJson(state, { name: 'box-08', hostname: 'edge-08', ip: '10.77.0.18', scenario: 'healthy' });
      await waitFor('served again', () => exists(boxPaths(dir).socket));
    };
    await restartK3s();
    await waitFor('API again', async () => (await restarts()) !== '');
    expect(await restarts()).toBe('0');
    await fs.writeFile(boxPaths(dir).bootId, 'bbbb\n');
    await restartK3s();
    expect(await waitFor('a restart after the reboot', async () => ((await restarts()) === '1 Unknown' ? '1 Unknown' : null))).toBe('1 Unknown');
    const ev = await kubectl(br.kubeconfig, ['get', 'events', '--field-selector', 'reason=Rebooted', '-o', 'name']);
    expect(ev.stdout.trim()).toMatch(/^event\/edge-08\./);
  });

  it('sends a watch response head at once, before any event, so clients see the watch established', async () => {
    const { state } = await setup();
    const dir = await writeServerJson(state, { name: 'box-10', hostname: 'edge-10', ip: '10.77.0.20', scenario: 'healthy' });
    const hub = await startTestHub(state, { bookmarkMs: 120_000 });
    cleanups.push(() => hub.close());
    await waitFor('kubeconfig', () => exists(boxPaths(dir).kubeconfig));
    const br = await open(dir);
    // kubectl wait lists then watches the one pod; a quiet pod used to hold the head until a bookmark.
    const r = await kubectl(br.kubeconfig, ['wait', '--for=condition=Ready', 'pod', '-l', 'k8s-app=kube-dns', '-n', 'kube-system', '--timeout=30s'], 60_000);
    expect(r.stdout).toMatch(/condition met/);
    const w = await Promise.race([
      apiRequest(dir, '/api/v1/namespaces/kube-system/pods?watch=true&fieldSelector=metadata.name%3Dnone&resourceVersion=' + hub.cluster('box-10')!.store.resourceVersion),
      new Promise<null>((r2) => setTimeout(() => r2(null), 30_000)),
    ]);
    expect(w?.status).toBe(200);
    w?.close();
  });

  it('reports a damaged server.json in hub-status.json and keeps serving the other boxes', async () => {
    const { state, start } = await setup();
    const good = await writeServerJson(state, { name: 'box-04', hostname: 'edge-04', ip: '10.77.0.14', scenario: 'healthy' });
    const bad = path.join(state, 'boxes', 'box-09');
    await fs.mkdir(path.join(bad, 'k3s'), { recursive: true });
    await fs.writeFile(boxPaths(bad).serverJson, JSON.stringify({ name: 'box-09', hostname: 'edge 09!', ip: 'nope', arch: 'amd64' }));
    const hub = await start();
    await waitFor('box-04 served', () => hub.serving().includes('box-04'));
    const status = JSON.parse(await waitFor('status', () => fs.readFile(boxPaths(bad).status, 'utf8'))) as { state: string; message: string };
    expect(status.state).toBe('error');
    expect(status.message).toMatch(/server\.json: (hostname|ip)/);
    expect(await exists(boxPaths(bad).socket)).toBe(false);
    expect(await exists(boxPaths(good).socket)).toBe(true);
  });

  it('joins an agent to the server its K3S_URL names when the token matches, and refuses a wrong token', async () => {
    const { state, start } = await setup();
    const server = await writeServerJson(state, { name: 'box-21', hostname: 'edge-21', ip: '10.77.0.31', scenario: 'healthy' });
    await start();
    const token = (await waitFor('token', () => fs.readFile(boxPaths(server).token, 'utf8'))).trim();
    expect(token).toMatch(/^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);

    const agentDir = path.join(state, 'boxes', 'box-22');
    const unitDir = path.join(agentDir, 'etc', 'systemd', 'system');
    await fs.mkdir(unitDir, { recursive: true });
    await fs.writeFile(path.join(unitDir, 'k3s-agent.service'), "[Service]\nExecStart=/usr/local/bin/k3s \\\n    agent \\\n\t'--node-label' \\\n\t'site=plant-4' \\\n");
    await fs.writeFile(path.join(unitDir, 'k3s-agent.service.env'), `K3S_URL='https://10.77.0.31:6443'\nK3S_TOKEN='${token.split('::server:')[1]}'\n`);
    await writeServerJson(state, { name: 'box-22', hostname: 'edge-22', ip: '10.77.0.32', scenario: 'healthy', role: 'agent' });

    const br = await open(server);
    const nodes = await waitFor(
      'the agent node',
      async () => {
        const r = await kubectl(br.kubeconfig, ['get', 'nodes', '-l', 'site=plant-4', '-o', 'name']);
        return r.stdout.includes('node/edge-22') ? r.stdout : null;
      },
      15_000,
    );
    expect(nodes.trim()).toBe('node/edge-22');
    expect(await exists(boxPaths(agentDir).socket)).toBe(false);

    // The agent stops: the node stays, NotReady, as the node controller leaves it.
    await fs.rm(boxPaths(agentDir).serverJson);
    await waitFor('NotReady', async () => (await kubectl(br.kubeconfig, ['get', 'node', 'edge-22'])).stdout.includes('NotReady'), 15_000);

    await fs.writeFile(path.join(unitDir, 'k3s-agent.service.env'), "K3S_URL='https://10.77.0.31:6443'\nK3S_TOKEN='wrong'\n");
    await writeServerJson(state, { name: 'box-22', hostname: 'edge-22', ip: '10.77.0.32', scenario: 'healthy', role: 'agent' });
    const status = await waitFor('refusal', async () => {
      const s = JSON.parse(await fs.readFile(boxPaths(agentDir).status, 'utf8')) as { state: string; message: string };
      return s.state === 'error' ? s : null;
    });
    expect(status.message).toMatch(/refused the token/);
  });

  it('caps open watches per box and answers 429 beyond the cap, freeing the slot when a watch ends', async () => {
    const { state } = await setup();
    const dir = await writeServerJson(state, { name: 'box-07', hostname: 'edge-07', ip: '10.77.0.17', scenario: 'healthy' });
    const hub = await startTestHub(state, { maxStreams: 1 });
    cleanups.push(() => hub.close());
    await waitFor('kubeconfig', () => exists(boxPaths(dir).kubeconfig));
    const first = await apiRequest(dir, '/api/v1/pods?watch=true');
    expect(first.status).toBe(200);
    const second = await apiRequest(dir, '/api/v1/pods?watch=true');
    expect(second.status).toBe(429);
    expect(JSON.parse(await second.body())).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    first.close();
    const third = await waitFor('a free slot', async () => {
      const r = await apiRequest(dir, '/api/v1/pods?watch=true&timeoutSeconds=1');
      if (r.status === 200) return r;
      r.close();
      return null;
    });
    third.close();
    const list = await apiRequest(dir, '/api/v1/pods');
    expect(list.status).toBe(200);
  });

  it('honours --disable metrics-server from config.yaml: no metrics API, no metrics-server pod', async () => {
    const { state, start } = await setup();
    const dir = path.join(state, 'boxes', 'box-06');
    await fs.mkdir(path.join(dir, 'etc', 'rancher', 'k3s'), { recursive: true });
    await fs.writeFile(boxPaths(dir).config, 'write-kubeconfig-mode: "0644"\ndisable:\n  - metrics-server\n  - traefik\n');
    await writeServerJson(state, { name: 'box-06', hostname: 'edge-06', ip: '10.77.0.16', scenario: 'healthy' });
    await start();
    const br = await open(dir);
    expect((await fs.stat(boxPaths(dir).kubeconfig)).mode & 0o777).toBe(0o644);
    const top = await kubectl(br.kubeconfig, ['top', 'nodes']);
    expect(top.code).not.toBe(0);
    expect(top.stderr).toMatch(/Metrics API not available/);
    const pods = await kubectl(br.kubeconfig, ['get', 'pods', '-n', 'kube-system', '-o', 'name']);
    expect(pods.stdout).toMatch(/coredns-/);
    expect(pods.stdout).not.toMatch(/metrics-server|traefik/);
  });
});
