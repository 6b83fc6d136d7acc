import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { safeText } from '../../../shared/text.ts';
import type { ExecOptions, ExecResult, Shell } from '../transport/index.ts';
import { healthOverShell, parseDf } from './collect.ts';
import { diagnose } from './diagnosis.ts';
import { parseKubeconfig, tunnelKubeconfig } from './kubeconfig.ts';
import { buildModel, quantity, MAX_STRING, type RawHealth } from './model.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function node(name: string, over: { ready?: string; pressure?: string[] } = {}) {
  const conds = ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((t) => ({
    type: t,
    status: over.pressure?.includes(t) ? 'True' : 'False',
    reason: over.pressure?.includes(t) ? `KubeletHas${t}` : '',
    message: `kubelet has ${t}`,
  }));
  return {
    kind: 'Node',
    metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': 'true' } },
    status: {
      conditions: [
        ...conds,
        { type: 'Ready', status: over.ready ?? 'True', reason: over.ready === 'Unknown' ? 'NodeStatusUnknown' : 'KubeletReady', message: 'm', lastHeartbeatTime: ago(300) },
      ],
      capacity: { cpu: '4', memory: '8025880Ki', pods: '110', 'ephemeral-storage': '61202244Ki' },
      allocatable: { cpu: '3800m', memory: '7Gi', pods: '110', 'ephemeral-storage': '59536620270' },
      nodeInfo: {
        kubeletVersion: 'v1.30.6+k3s1',
        architecture: 'arm64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1',
        containerRuntimeVersion: 'containerd://1.7',
      },
    },
  };
}

function pod(
  ns: string,
  name: string,
  st: Record<string, unknown> = {},
  extra: { limit?: string; phase?: string; reason?: string; message?: string; scheduled?: [string, string]; annotations?: Record<string, string> } = {},
) {
  return {
    kind: 'Pod',
    metadata: { namespace: ns, name, creationTimestamp: ago(3600), annotations: extra.annotations, ownerReferences: [{ kind: 'ReplicaSet', name: `${name}-rs` }] },
    spec: { nodeName: 'edge-01', containers: [{ name: 'app', image: 'registry.local:5000/app:1', resources: extra.limit ? { limits: { memory: extra.limit } } : {} }] },
    status: {
      phase: extra.phase ?? 'Running',
      reason: extra.reason,
      message: extra.message,
      startTime: extra.scheduled ? undefined : ago(3500),
      conditions: extra.scheduled
        ? [{ type: 'PodScheduled', status: 'False', reason: extra.scheduled[0], message: extra.scheduled[1] }]
        : [{ type: 'PodScheduled', status: 'True' }],
      containerStatuses: extra.scheduled
        ? undefined
        : [{ name: 'app', image: 'registry.local:5000/app:1', ready: false, restartCount: 0, state: { running: {} }, lastState: {}, ...st }],
    },
  };
}

const crash = pod('edge', 'sensor-gateway', {
  restartCount: 7,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
  lastState: { terminated: { reason: 'Error', exitCode: 2, finishedAt: ago(60) } },
});
const oom = pod(
  'edge',
  'video-analytics',
  { restartCount: 6, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: ago(30) } } },
  { limit: '256Mi' },
);
const pull = pod(
  'edge',
  'firmware-updater',
  { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local:5000/app:1"' } } },
  { phase: 'Pending' },
);
const pending = pod('edge', 'big-job', {}, { phase: 'Pending', scheduled: ['Unschedulable', '0/1 nodes are available: 1 Insufficient memory.'] });
const evicted = pod('edge', 'logger', {}, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });
const fine = pod('kube-system', 'coredns', { ready: true });

function snapshot(raw: RawHealth, extra: Partial<Parameters<typeof diagnose>[0]> = {}) {
  const m = buildModel(raw);
  return { m, d: diagnose({ ...m, clock: null, clientCert: null, disk: null, ...extra }, NOW) };
}

describe('health diagnosis on fixture objects', () => {
  it('names the crash-looping, OOM-killed, image-pull, pending and evicted pods, worst first, each under one reason', () => {
    const { m, d } = snapshot({ nodes: [node('edge-01')], pods: [fine, crash, oom, pull, pending, evicted], events: [] });
    expect(m.podCount).toBe(6);
    expect(d.map((x) => x.code)).toEqual(['POD_OOM_KILLED', 'POD_CRASH_LOOP', 'IMAGE_PULL', 'POD_PENDING', 'POD_EVICTED']);
    expect(d[0]!.subjects).toEqual(['edge/video-analytics']);
    expect(d[0]!.evidence[0]).toMatch(/limit 256 MiB; exit code 137 \(killed by signal 9, SIGKILL\), 6 restarts/);
    expect(d[1]!.subjects).toEqual(['edge/sensor-gateway']);
    expect(d[1]!.evidence[0]).toMatch(/7 restarts; last ended Error, exit code 2/);
    expect(d[2]!.next).toMatch(/k3s-airgap-images-arm64\.tar\.zst/);
    expect(d[3]!.evidence[0]).toMatch(/Unschedulable: 0\/1 nodes are available: 1 Insufficient memory/);
    expect(d[4]!.evidence[0]).toMatch(/low on resource: ephemeral-storage/);
    for (const x of d) expect(x.next.length).toBeGreaterThan(20);
    expect(m.pods.find((p) => p.name === 'video-analytics')!.status).toBe('CrashLoopBackOff');
    expect(m.pods.find((p) => p.name === 'logger')!.status).toBe('Evicted');
  });

  it('still names a crash-looping container caught running between two back-offs', () => {
    const between = pod('edge', 'sensor-gateway', {
      restartCount: 8,
      state: { running: { startedAt: ago(2) } },
      lastState: { terminated: { reason: 'Error', exitCode: 2, finishedAt: ago(12) } },
    });
    const settled = pod('edge', 'recovered', {
      ready: true,
      restartCount: 8,
      state: { running: {} },
      lastState: { terminated: { reason: 'Error', exitCode: 2, finishedAt: ago(86_400) } },
    });
    const { d } = snapshot({ nodes: [node('edge-01')], pods: [between, settled], events: [] });
    expect(d.map((x) => [x.code, x.subjects])).toEqual([['POD_CRASH_LOOP', ['edge/sensor-gateway']]]);
  });

  it('puts a node that is not ready and its pressure before any pod, with how full the disk is', () => {
    const { d } = snapshot(
      { nodes: [node('edge-01', { ready: 'Unknown', pressure: ['DiskPressure'] })], pods: [crash], events: [] },
      { disk: parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 61202244 58142132 3060112 95% /\n') },
    );
    expect(d.map((x) => x.code)).toEqual(['NODE_NOT_READY', 'NODE_PRESSURE', 'POD_CRASH_LOOP']);
    expect(d[0]!.title).toMatch(/no word from its kubelet/);
    expect(d[0]!.evidence[0]).toMatch(/last reported 5 min ago/);
    expect(d[1]!.title).toBe('Node edge-01 is under disk pressure');
    expect(d[1]!.evidence.join('\n')).toMatch(/\/ is 95% full, 2\.9 GiB free/);
  });

  it('warns of clock skew beyond its uncertainty and of a client certificate close to expiry', () => {
    const soon = new Date(NOW + 10 * 86_400_000).toISOString();
    const { d } = snapshot(
      { nodes: [node('edge-01')], pods: [], events: [] },
      { clock: { skewMs: -600_000, uncertaintyMs: 200 }, clientCert: { notAfter: soon, subject: 'CN=system:admin' } },
    );
    expect(d.map((x) => x.code)).toEqual(['CLOCK_SKEW', 'CERT_EXPIRY']);
    expect(d[0]!.title).toBe("The box's clock is 10 min behind this laptop");
    expect(d[0]!.severity).toBe('critical');
    expect(d[1]!.title).toBe('The k3s client certificate expires in 10 days');
    const calm = snapshot(
      { nodes: [node('edge-01')], pods: [], events: [] },
      { clock: { skewMs: 3_000, uncertaintyMs: 200 }, clientCert: { notAfter: new Date(NOW + 300 * 86_400_000).toISOString(), subject: '' } },
    );
    expect(calm.d).toEqual([]);
  });

  it('keeps HTML and terminal escapes in pod names as data, bounded, and the sanitiser shows them as plain text', () => {
    const evil = `<img src=x onerror=alert(1)>\x1b]0;owned\x07\x1b[2J${'A'.repeat(5000)}`;
    const { m, d } = snapshot({
      nodes: [node('edge-01')],
      pods: [pod('edge', evil, { restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } })],
      events: [],
    });
    expect(m.pods[0]!.name.length).toBeLessThanOrEqual(MAX_STRING);
    const shown = safeText(d[0]!.evidence[0]);
    expect([...shown].filter((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)).toEqual([]);
    expect(shown).toContain('<img src=x onerror=alert(1)>');
  });

  it('drops a 1 MB annotation and keeps 5000 pods bounded', () => {
    const big = 'x'.repeat(1024 * 1024);
    const pods = Array.from({ length: 5000 }, (_, i) => pod('load', `p-${i}`, { ready: true }, { annotations: i === 0 ? { huge: big } : { a: 'b' } }));
    const t0 = performance.now();
    const { m, d } = snapshot({ nodes: [node('edge-01')], pods, events: [] });
    const ms = performance.now() - t0;
    expect(m.podCount).toBe(5000);
    expect(JSON.stringify(m.pods[0]).length).toBeLessThan(2000);
    expect(JSON.stringify(m).length).toBeLessThan(5000 * 1500);
    expect(d).toEqual([]);
    expect(ms, `model of 5000 pods took ${ms.toFixed(0)} ms`).toBeLessThan(2000);
  });

  it('groups warning events not already explained by a pod', () => {
    const ev = (reason: string, name: string, count = 1) => ({
      kind: 'Event',
      type: 'Warning',
      reason,
      message: `${reason} on ${name}`,
      involvedObject: { kind: 'Pod', namespace: 'edge', name },
      count,
      lastTimestamp: ago(10),
    });
    const { m, d } = snapshot({
      nodes: [node('edge-01')],
      pods: [crash],
      events: [ev('BackOff', 'sensor-gateway', 12), ev('FailedMount', 'db', 3), { kind: 'Event', type: 'Normal', reason: 'Pulled' }],
    });
    expect(m.warningCount).toBe(2);
    expect(d.map((x) => x.code)).toEqual(['POD_CRASH_LOOP', 'WARNING_EVENTS']);
    expect(d[1]!.title).toBe('1 other warning event (FailedMount ×3)');
  });

  it('reads Kubernetes quantities', () => {
    expect(quantity('8025880Ki')).toBe(8025880 * 1024);
    expect(quantity('250m')).toBe(0.25);
    expect(quantity('1.5G')).toBe(1.5e9);
    expect(quantity('2e3')).toBe(2000);
    expect(quantity('lots')).toBeNull();
  });
});

describe('box kubeconfig', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const k3s = (server: string) =>
    `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ${b64('CA')}\n    server: ${server}\n  name: default\ncontexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\nkind: Config\nusers:\n- name: default\n  user:\n    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}\n`;

  it('keeps the CA and client credentials and checks TLS as kubernetes, not the tunnel address', () => {
    const kc = parseKubeconfig(k3s('https://127.0.0.1:6443'));
    expect(kc).toMatchObject({ host: '127.0.0.1', port: 6443, serverName: 'kubernetes', ca: 'CA', cert: 'CERT', key: 'KEY' });
    const out = tunnelKubeconfig(kc, 40123, 'box-01');
    expect(out).toContain('server: https://127.0.0.1:40123');
    expect(out).toContain('tls-server-name: kubernetes');
    expect(parseKubeconfig(out)).toMatchObject({ port: 40123, ca: 'CA', cert: 'CERT', key: 'KEY', serverName: 'kubernetes' });
  });

  it('refuses a kubeconfig that points elsewhere, plain HTTP, or garbage, with a next step', () => {
    expect(() => parseKubeconfig(k3s('https://10.0.0.5:6443'))).toThrow(/points at 10\.0\.0\.5, not at the box's own API/);
    expect(() => parseKubeconfig(k3s('http://127.0.0.1:6443'))).toThrow(/not HTTPS/);
    expect(() => parseKubeconfig(': : [')).toThrow(/not valid YAML|no cluster/);
  });
});

/** A Shell that answers as a box's console would: the date, then kubectl's JSON gzipped. */
function fakeShell(list: unknown, opts: { gzip?: boolean; garbage?: boolean } = {}): Shell {
  return {
    kind: 'serial',
    target: '/dev/ttyUSB0',
    async exec(command: string, _o?: ExecOptions): Promise<ExecResult> {
      const ok = (stdout: Uint8Array): ExecResult => ({ code: 0, signal: null, stdout, stderr: new Uint8Array(), truncated: false });
      if (command.startsWith('date')) return ok(Buffer.from(`${Math.floor(Date.now() / 1000)}123456789\n`));
      if (opts.garbage) return { ...ok(Buffer.from('<html>nope')), stderr: Buffer.from('The connection to the server 127.0.0.1:6443 was refused') };
      const text = Buffer.from(`${JSON.stringify(list)}\n@@FL-CERT@@ \n`);
      return ok(opts.gzip === false ? text : gzipSync(text));
    },
    put: async () => undefined,
    get: async () => new Uint8Array(),
    close: async () => undefined,
  };
}

describe('health over a shell (the serial console)', () => {
  const list = { kind: 'List', items: [node('edge-01'), fine, crash, oom, pull] };

  it('feeds k3s kubectl -o json into the same model, gzipped or not', async () => {
    for (const gzip of [true, false]) {
      const s = await healthOverShell(fakeShell(list, { gzip }));
      expect(s.via).toBe('shell');
      expect(s.link).toBe('serial');
      expect(s.podCount).toBe(4);
      expect(s.diagnosis.map((d) => d.code)).toEqual(['POD_OOM_KILLED', 'POD_CRASH_LOOP', 'IMAGE_PULL']);
      expect(Math.abs(s.clock!.skewMs)).toBeLessThan(5000);
    }
  });

  it('says what the box said when kubectl gives no JSON', async () => {
    await expect(healthOverShell(fakeShell(list, { garbage: true }))).rejects.toMatchObject({
      code: 'REMOTE_FAILED',
      message: expect.stringMatching(/127\.0\.0\.1:6443 was refused/),
    });
  });
});
