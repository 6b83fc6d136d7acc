import fs from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Hub } from './hub.ts';
import { boxPaths } from './box-files.ts';
import { bridge, kubectl, kubectlStream, startTestHub, tempState, waitFor, writeServerJson, type Bridge } from './testing.ts';

/** Real kubectl, unchanged, is the judge of the lab API server (its conformance test). */

let state: string;
let hub: Hub;
let boxDir: string;
let br: Bridge;

beforeAll(async () => {
  const version = execFileSync('/usr/bin/kubectl', ['version', '--client'], { encoding: 'utf8' });
  console.log(`kubectl under test: ${version.trim().split('\n').join('; ')}`);
  state = await tempState();
  boxDir = await writeServerJson(state, { name: 'box-01', hostname: 'edge-01', ip: '10.77.0.11', scenario: 'mixed', timeScale: 20 });
  hub = await startTestHub(state, { bookmarkMs: 300 });
  br = await bridge(boxDir);
}, 60_000);

afterAll(async () => {
  await br?.close();
  await hub?.close();
  await fs.rm(state, { recursive: true, force: true });
});

describe('kubectl against the lab API server', { timeout: 90_000 }, () => {
  it('gets nodes, pods and events across namespaces with the usual columns', async () => {
    const r = await kubectl(br.kubeconfig, ['get', 'nodes,pods,events', '-A']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/m);
    expect(r.stdout).toMatch(/node\/edge-01\s+Ready\s+control-plane,master\s+\S+\s+v1\.30\.6\+k3s1/);
    expect(r.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/m);
    expect(r.stdout).toMatch(/CrashLoopBackOff|Error|Running/);
    expect(r.stdout).toMatch(/ImagePullBackOff|ErrImagePull/);
    expect(r.stdout).toMatch(/^NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/m);
    expect(r.stdout).toMatch(/Warning\s+BackOff\s+pod\/sensor-gateway-/);
  });

  it('prints JSON objects with -o json that describe the failing pods', async () => {
    const r = await kubectl(br.kubeconfig, ['get', 'pods', '-A', '-o', 'json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as {
      items: { metadata: { name: string }; status: { containerStatuses?: { restartCount: number; lastState: { terminated?: { reason: string } } }[] } }[];
    };
    const oom = list.items.find((p) => p.metadata.name.startsWith('video-analytics-'));
    expect(oom?.status.containerStatuses?.[0]?.lastState.terminated?.reason).toBe('OOMKilled');
    expect(oom?.status.containerStatuses?.[0]?.restartCount).toBeGreaterThan(0);
  });

  it('answers get --raw /version with the k3s version', async () => {
    const r = await kubectl(br.kubeconfig, ['get', '--raw', '/version']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ gitVersion: 'v1.30.6+k3s1', platform: 'linux/amd64' });
  });

  it('lists api-resources including metrics.k8s.io', async () => {
    const r = await kubectl(br.kubeconfig, ['api-resources']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(r.stdout).toMatch(/^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics$/m);
  });

  it('serves the node lease, so describe node shows its renew time', async () => {
    const leases = await kubectl(br.kubeconfig, ['get', 'leases', '-n', 'kube-node-lease']);
    expect(leases.stdout).toMatch(/^edge-01\s+edge-01\s+\S+$/m);
    const d = await kubectl(br.kubeconfig, ['describe', 'node', 'edge-01']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/Lease:\s*\n\s+HolderIdentity:\s+edge-01\n\s+AcquireTime:\s+<unset>\n\s+RenewTime:\s+\w{3}, /);
  });

  it('shows usage with top nodes and top pods', async () => {
    const nodes = await kubectl(br.kubeconfig, ['top', 'nodes']);
    expect(nodes.stderr).toBe('');
    expect(nodes.stdout).toMatch(/^edge-01\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m);
    const pods = await kubectl(br.kubeconfig, ['top', 'pods', '-n', 'kube-system']);
    expect(pods.stdout).toMatch(/^coredns-\S+\s+\d+m\s+\d+Mi/m);
  });

  it('sees a change with get -w', async () => {
    const w = kubectlStream(br.kubeconfig, ['get', 'pods', '-n', 'edge', '-w', '--output-watch-events']);
    try {
      // At 20x, a crash-looping pod or the minute's backup job changes within seconds.
      await waitFor('a MODIFIED or ADDED event after the initial list', () => /^(MODIFIED|DELETED)\s/m.test(w.out()), 60_000);
    } finally {
      await w.stop();
    }
    expect(w.err()).toBe('');
  });

  it('streams logs with logs -f until stopped, and tail/previous/timestamps work', async () => {
    const pods = await kubectl(br.kubeconfig, ['get', 'pods', '-n', 'edge', '-o', 'name']);
    const mqtt = pods.stdout.split('\n').find((n) => n.includes('mqtt-broker'))!;
    const f = kubectlStream(br.kubeconfig, ['logs', '-f', '-n', 'edge', mqtt, '--tail=1']);
    try {
      await waitFor('two more followed lines', () => f.out().split('\n').filter(Boolean).length >= 3, 30_000);
    } finally {
      await f.stop();
    }
    const gw = pods.stdout.split('\n').find((n) => n.includes('sensor-gateway'))!;
    const prev = await kubectl(br.kubeconfig, ['logs', '-n', 'edge', gw, '--previous', '--timestamps', '--tail=3']);
    expect(prev.code).toBe(0);
    const lines = prev.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \t\/src\/cmd\/gateway\/main\.go:88/);
    const future = await kubectl(br.kubeconfig, ['logs', '-n', 'edge', mqtt, `--since-time=${new Date(Date.now() + 3_600_000).toISOString()}`]);
    expect(future.code).toBe(0);
    expect(future.stdout).toBe('');
    const limited = await kubectl(br.kubeconfig, ['logs', '-n', 'edge', mqtt, '--limit-bytes=10']);
    expect(Buffer.byteLength(limited.stdout)).toBe(10);
    const fw = pods.stdout.split('\n').find((n) => n.includes('firmware-updater'))!;
    const waiting = await kubectl(br.kubeconfig, ['logs', '-n', 'edge', fw]);
    expect(waiting.code).not.toBe(0);
    expect(waiting.stderr).toMatch(/is waiting to start: trying and failing to pull image/);
  });

  it('refuses a client without the admin certificate with 401', async () => {
    const kc = parseYaml(await fs.readFile(br.kubeconfig, 'utf8')) as { clusters: { cluster: { 'certificate-authority-data': string } }[] };
    const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64');
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: br.port, path: '/api/v1/pods', ca, servername: 'kubernetes' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(401);
  });

  it('issues the serving certificate with the SANs k3s uses', async () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', path.join(boxPaths(boxDir).tls, 'serving-kube-apiserver.crt')], { encoding: 'utf8' });
    for (const san of [
      'DNS:kubernetes',
      'DNS:kubernetes.default.svc.cluster.local',
      'DNS:localhost',
      'DNS:edge-01',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:10.43.0.1',
      'IP Address:10.77.0.11',
    ]) {
      expect(text).toContain(san);
    }
    const admin = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', path.join(boxPaths(boxDir).tls, 'client-admin.crt')], { encoding: 'utf8' });
    expect(admin).toMatch(/O\s*=\s*system:masters, CN\s*=\s*system:admin/);
    expect((await fs.stat(boxPaths(boxDir).kubeconfig)).mode & 0o777).toBe(0o600);
  });
});
