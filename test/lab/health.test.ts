import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BoxStatus, LabStatus } from '../../lab/index.ts';
import { createApp } from '../../electron/core/app.ts';
import { parseKubeconfig, type HealthSnapshot } from '../../electron/core/health/index.ts';
import { REPO, labStatus, until } from './helpers.ts';

/**
 * `fieldlink health` and `fieldlink kubeconfig` against a lab box running the mixed scenario (crash
 * loop + OOM + image pull), over SSH and over the serial console, judged by real kubectl through
 * the tunnel `fieldlink kubeconfig` keeps open. box-01's scenario is switched for the suite (its
 * server.json, as the box's k3s unit writes it) and put back after.
 */
const BIN = path.join(REPO, 'bin', 'fieldlink.js');
const BOX = 'box-01';

function fieldlink(args: string[], opts: { input?: string; dataDir: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, '--data-dir', opts.dataDir, ...args], { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? '');
  });
}

function kubectl(kubeconfig: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=20s', ...args], { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('fieldlink health and kubeconfig on a box with the mixed scenario', () => {
  let box: BoxStatus;
  let lab: LabStatus;
  let serverJson: string;
  let original: string | null = null;
  let tunnel: ChildProcess | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-health-'));
  const kubeconfig = path.join(dataDir, 'kubeconfig.yaml');
  const podCount = async () => (JSON.parse((await kubectl(kubeconfig, ['get', 'pods', '-A', '-o', 'json'])).stdout) as { items: unknown[] }).items.length;

  beforeAll(async () => {
    lab = await labStatus();
    box = lab.boxes.find((b) => b.name === BOX && b.state === 'provisioned' && b.power === 'on')!;
    if (!box) throw new Error(`${BOX} is not a provisioned box that is on`);
    serverJson = path.join(lab.dir, 'boxes', BOX, 'k3s', 'server.json');
    original = fs.readFileSync(serverJson, 'utf8');
    const spec = JSON.parse(original) as { scenario: string };
    if (spec.scenario !== 'mixed') {
      fs.writeFileSync(`${serverJson}.fl-tmp`, `${JSON.stringify({ ...spec, scenario: 'mixed' })}\n`);
      fs.renameSync(`${serverJson}.fl-tmp`, serverJson);
    } else original = null;
    const status = path.join(lab.dir, 'boxes', BOX, 'k3s', 'hub-status.json');
    await until(
      async () => /"scenario":"mixed"/.test(fs.readFileSync(status, 'utf8')) && /"serving"/.test(fs.readFileSync(status, 'utf8')),
      30_000,
      'the hub serving the mixed scenario',
    );

    // The tunnel and its kubeconfig, as a technician opens them (first use of the box's key, password on stdin).
    tunnel = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'kubeconfig', `ssh://root@${box.ip}`, '--accept-new', '--password-stdin', '--write', kubeconfig], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    tunnel.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    tunnel.stdin!.end(`${box.password}\n`);
    await until(async () => fs.existsSync(kubeconfig) && /Ctrl-C/.test(err), 30_000, `fieldlink kubeconfig to write ${kubeconfig} (${err})`);
  });

  afterAll(async () => {
    if (tunnel?.pid && tunnel.exitCode === null) {
      const done = new Promise((r) => tunnel!.once('exit', r));
      tunnel.kill('SIGINT');
      await done;
    }
    if (original !== null) {
      fs.writeFileSync(`${serverJson}.fl-tmp`, original);
      fs.renameSync(`${serverJson}.fl-tmp`, serverJson);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('kubectl works unchanged through fieldlink kubeconfig: 127.0.0.1 only, TLS verified by server name', async () => {
    const v = await kubectl(kubeconfig, ['version', '--client', '-o', 'json']);
    console.log(`kubectl ${(JSON.parse(v.stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion}`);
    const text = fs.readFileSync(kubeconfig, 'utf8');
    expect(text).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/tls-server-name: kubernetes/);
    expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);
    const nodes = await kubectl(kubeconfig, ['get', 'nodes', '-o', 'json']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect((JSON.parse(nodes.stdout) as { items: Array<{ metadata: { name: string } }> }).items.map((n) => n.metadata.name)).toEqual([box.hostname]);
    expect((await kubectl(kubeconfig, ['get', 'pods', '-A'])).stdout).toMatch(/CrashLoopBackOff/);
    // The wrong name is refused: verification is really on.
    const wrong = path.join(dataDir, 'wrong.yaml');
    fs.writeFileSync(wrong, text.replace('tls-server-name: kubernetes', 'tls-server-name: not-this-box.example'), { mode: 0o600 });
    const refused = await kubectl(wrong, ['get', 'nodes']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate/i);
  });

  const check = (s: HealthSnapshot) => {
    const by = (code: string) => s.diagnosis.find((d) => d.code === code)?.subjects ?? [];
    const seen = JSON.stringify(s.diagnosis.map((d) => [d.code, d.subjects]));
    expect(
      by('POD_CRASH_LOOP').some((p) => p.startsWith('edge/sensor-gateway-')),
      seen,
    ).toBe(true);
    expect(
      by('POD_OOM_KILLED').some((p) => p.startsWith('edge/video-analytics-')),
      seen,
    ).toBe(true);
    expect(
      by('IMAGE_PULL').some((p) => p.startsWith('edge/firmware-updater-')),
      seen,
    ).toBe(true);
    expect(s.nodes.map((n) => n.name)).toEqual([box.hostname]);
    expect(s.nodes[0]!.kubeletVersion).toMatch(/^v1\./);
  };

  /** The backup CronJob adds and removes pods every minute: compare with kubectl right around the call. */
  async function samePodCount(args: string[]): Promise<HealthSnapshot> {
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await podCount();
      const r = await fieldlink([...args, '--json'], { input: `${box.password}\n`, dataDir });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as HealthSnapshot;
      const after = await podCount();
      if (s.podCount === before && before === after) return s;
      last = `health ${s.podCount}, kubectl ${before} before and ${after} after`;
    }
    throw new Error(`pod counts never agreed: ${last}`);
  }

  it('over SSH names the crash-looping, OOM-killed and image-pull pods with the pod count kubectl gives', async () => {
    const s = await samePodCount(['health', `ssh://root@${box.ip}`, '--password-stdin']);
    expect(s.via).toBe('api');
    check(s);
    const human = await fieldlink(['health', `ssh://root@${box.ip}`, '--password-stdin'], { input: `${box.password}\n`, dataDir });
    expect(human.code, human.stderr).toBe(0);
    // Diagnosis first, then nodes, then pods.
    const at = (re: RegExp) => human.stdout.search(re);
    expect(at(/^PROBLEM: /m)).toBeGreaterThan(-1);
    expect(at(/^PROBLEM: /m)).toBeLessThan(at(/^NODES$/m));
    expect(at(/^NODES$/m)).toBeLessThan(at(/^PODS \(/m));
    expect(human.stderr).toMatch(/tunnel/);
  });

  it('keeps the credentials for the next call, and reads them afresh when the box refuses the kept ones', async () => {
    const again = await fieldlink(['health', `ssh://root@${box.ip}`, '--password-stdin', '--json'], { input: `${box.password}\n`, dataDir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/using the k3s credentials kept/);
    // Another box's CA and certificate (read, not changed) stand for a box reinstalled since.
    const other = lab.boxes.find((b) => b.name !== BOX && b.state === 'provisioned');
    if (!other) return;
    const app = createApp({ host: 'cli', dataDir });
    try {
      const foreign = parseKubeconfig(fs.readFileSync(path.join(lab.dir, 'boxes', other.name, 'etc', 'rancher', 'k3s', 'k3s.yaml'), 'utf8'));
      app.secrets.set(`k3s-admin:root@${box.ip}:22`, JSON.stringify(foreign));
    } finally {
      await app.close();
    }
    const r = await fieldlink(['health', `ssh://root@${box.ip}`, '--password-stdin', '--json'], { input: `${box.password}\n`, dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the k3s credentials kept[\s\S]*reading \/etc\/rancher\/k3s\/k3s\.yaml/);
    expect((JSON.parse(r.stdout) as HealthSnapshot).nodes.map((n) => n.name)).toEqual([box.hostname]);
  });

  it('fieldlink logs pod prints what the crash-looping pod said before it died, escapes removed', async () => {
    const s = JSON.parse((await fieldlink(['health', `ssh://root@${box.ip}`, '--password-stdin', '--json'], { input: `${box.password}\n`, dataDir })).stdout) as HealthSnapshot;
    const crash = s.pods.find((p) => p.name.startsWith('sensor-gateway-'));
    if (!crash) throw new Error('no sensor-gateway pod in the mixed scenario');
    const r = await fieldlink(['logs', 'pod', `ssh://root@${box.ip}`, `${crash.namespace}/${crash.name}`, '--previous', '--tail', '5', '--password-stdin'], {
      input: `${box.password}\n`,
      dataDir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(0);
    expect(r.stdout.trim().split('\n').length).toBeLessThanOrEqual(5);
    // eslint-disable-next-line no-control-regex -- the point: no terminal escape reaches the terminal
    expect(r.stdout).not.toMatch(/[\x1b\x07]/);
    const bad = await fieldlink(['logs', 'pod', `ssh://root@${box.ip}`, 'edge/no-such-pod', '--password-stdin'], { input: `${box.password}\n`, dataDir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/no-such-pod/);
  });

  it('over the serial console gives the same answer, with no network', async () => {
    const s = await samePodCount(['health', `serial:${box.console}`, '--password-stdin']);
    expect(s.via).toBe('shell');
    expect(s.link).toBe('serial');
    check(s);
  });
});
