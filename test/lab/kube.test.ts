import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { kubectl, kubectlStream } from '../../lab/kube/testing.ts';
import { REPO, factoryBox, labStatus, provisionedBox, ssh, sshOk, until } from './helpers.ts';
import { freePort } from '../fixtures/ports.ts';

/**
 * The lab API server as a technician's laptop meets it: from fl-tech, through a real OpenSSH tunnel
 * (`ssh -L`) to the box's :6443, with the kubeconfig k3s left on the box, judged by real kubectl.
 */

let tmp: string;
let box: BoxStatus;
let tunnel: ChildProcess | null = null;
let kubeconfig: string;

beforeAll(async () => {
  console.log(`kubectl under test: ${execFileSync('/usr/bin/kubectl', ['version', '--client'], { encoding: 'utf8' }).trim().split('\n').join('; ')}`);
  const status = await labStatus();
  box = provisionedBox(status);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'fl-kube-lab-'));
  await until(async () => (await ssh(box, 'test -s /etc/rancher/k3s/k3s.yaml')).code === 0, 30_000, 'the box kubeconfig');
  const yaml = await sshOk(box, 'cat /etc/rancher/k3s/k3s.yaml');
  const port = await freePort();
  const askpass = path.join(tmp, 'askpass');
  await fs.writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$FL_BOX_PASSWORD"\n', { mode: 0o700 });
  tunnel = spawn(
    'ssh',
    [
      '-N',
      '-F',
      '/dev/null',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=error',
      '-o',
      'PreferredAuthentications=password',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'ExitOnForwardFailure=yes',
      '-L',
      `127.0.0.1:${port}:127.0.0.1:6443`,
      `root@${box.ip}`,
    ],
    { stdio: 'ignore', env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', FL_BOX_PASSWORD: box.password, DISPLAY: '' } },
  );
  kubeconfig = path.join(tmp, 'kubeconfig');
  await fs.writeFile(kubeconfig, yaml.replace('https://127.0.0.1:6443', `https://127.0.0.1:${port}`), { mode: 0o600 });
  await until(async () => (await kubectl(kubeconfig, ['get', '--raw', '/version'], 10_000)).code === 0, 30_000, 'the API through the tunnel');
});

afterAll(async () => {
  if (tunnel && tunnel.exitCode === null) {
    const gone = new Promise((r) => tunnel!.once('exit', r));
    tunnel.kill('SIGTERM');
    await gone;
  }
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('k3s API of a provisioned box through an SSH tunnel', () => {
  it('answers k3s kubectl inside the box', async () => {
    const out = await sshOk(box, 'k3s kubectl get nodes -o name');
    expect(out.trim()).toBe(`node/${box.hostname}`);
  });

  it('serves get nodes,pods,events -A, -o json, --raw /version and api-resources to kubectl', async () => {
    const all = await kubectl(kubeconfig, ['get', 'nodes,pods,events', '-A']);
    expect(all.stderr).toBe('');
    expect(all.stdout).toMatch(new RegExp(`node/${box.hostname}\\s+Ready\\s+control-plane,master`));
    expect(all.stdout).toMatch(/^kube-system\s+pod\/coredns-\S+\s+1\/1\s+Running/m);
    const json = JSON.parse((await kubectl(kubeconfig, ['get', 'pods', '-A', '-o', 'json'])).stdout) as { items: unknown[] };
    expect(json.items.length).toBeGreaterThan(5);
    const version = JSON.parse((await kubectl(kubeconfig, ['get', '--raw', '/version'])).stdout) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/\+k3s\d+$/);
    const res = await kubectl(kubeconfig, ['api-resources']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^events\s+ev\s+v1\s+true\s+Event$/m);
  });

  it('shows top nodes and follows logs with logs -f', async () => {
    const top = await kubectl(kubeconfig, ['top', 'nodes']);
    expect(top.stdout).toMatch(new RegExp(`^${box.hostname}\\s+\\d+m\\s+\\d+%`, 'm'));
    const pods = (await kubectl(kubeconfig, ['get', 'pods', '-n', 'kube-system', '-o', 'name'])).stdout.split('\n');
    const coredns = pods.find((p) => p.includes('coredns'))!;
    const f = kubectlStream(kubeconfig, ['logs', '-f', '-n', 'kube-system', coredns, '--tail=1']);
    try {
      // coredns logs every 30 s of scenario time: the tail line, then one live line.
      await until(async () => f.out().split('\n').filter(Boolean).length >= 2, 90_000, 'a followed log line');
    } finally {
      await f.stop();
    }
  });

  it('delivers a change to get -w', async () => {
    const w = kubectlStream(kubeconfig, ['get', 'nodes', '-w', '--output-watch-events']);
    try {
      // Node status is posted every 20 s of scenario time.
      await until(async () => /^MODIFIED\s/m.test(w.out()), 90_000, 'a MODIFIED node event');
    } finally {
      await w.stop();
    }
  });
});

describe('airgap install.sh on a factory box', () => {
  it('installs k3s for the box arch, starts it through systemctl, serves the API, and uninstalls back to factory', async () => {
    const status = await labStatus();
    const fb = factoryBox(status);
    const artifacts = path.join(tmp, 'artifacts');
    execFileSync('sh', [path.join(REPO, 'lab', 'kube', 'build-airgap.sh'), artifacts]);
    const right = fb.arch === 'arm64' ? 'k3s-arm64' : 'k3s';
    const wrong = fb.arch === 'arm64' ? 'k3s' : 'k3s-arm64';
    const put = async (file: string, to: string) => {
      const r = await ssh(fb, `cat > ${to} && chmod 755 ${to}`, { input: await fs.readFile(file, 'utf8') });
      expect(r.code).toBe(0);
    };
    try {
      await put(path.join(artifacts, wrong), '/tmp/k3s-wrong');
      const refused = await ssh(fb, '/tmp/k3s-wrong --version');
      expect(refused.code).toBe(126);
      expect(refused.stderr).toMatch(/Exec format error/);

      await put(path.join(artifacts, right), '/usr/local/bin/k3s');
      await put(path.join(artifacts, 'install.sh'), '/tmp/install.sh');
      const inst = await ssh(fb, "INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='server --node-label fieldlink.test/install=yes' sh /tmp/install.sh", { timeoutMs: 60_000 });
      expect(inst.stderr).toBe('');
      expect(inst.code).toBe(0);
      expect(inst.stdout).toMatch(/systemd: Starting k3s/);
      expect((await ssh(fb, 'systemctl is-active k3s')).stdout.trim()).toBe('active');
      const nodes = await until(
        async () => {
          const r = await ssh(fb, 'k3s kubectl get nodes -l fieldlink.test/install=yes -o name');
          return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
        },
        30_000,
        'the new API answering inside the box',
      );
      expect(nodes).toBe(`node/${(await sshOk(fb, 'hostname')).trim()}`);
      expect((await sshOk(fb, 'stat -c %a /etc/rancher/k3s/k3s.yaml')).trim()).toBe('600');
    } finally {
      await ssh(fb, 'test -x /usr/local/bin/k3s-uninstall.sh && /usr/local/bin/k3s-uninstall.sh >/dev/null 2>&1; rm -f /tmp/install.sh /tmp/k3s-wrong /usr/local/bin/k3s', {
        timeoutMs: 60_000,
      });
    }
    expect((await ssh(fb, 'systemctl is-active k3s')).code).not.toBe(0);
    expect((await sshOk(fb, 'lab-svc state')).trim()).toBe('factory');
  });
});
