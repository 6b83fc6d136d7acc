import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseK3sArgs } from './box-config.ts';
import { parseEnvFile, parseExecStart } from './box-files.ts';
import { tempState } from './testing.ts';

/**
 * The airgap installer and artifacts, run for real with sh into temp folders. Enabling and starting
 * the service is proved in the lab (test/lab/kube.test.ts), where the box's systemctl exists.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
let tmp: string;
let artifacts: string;

function sh(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', [script, ...args], { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function install(name: string, env: Record<string, string>) {
  const root = path.join(tmp, name);
  const bin = path.join(root, 'bin');
  const systemd = path.join(root, 'systemd');
  await fs.mkdir(bin, { recursive: true });
  const r = await sh(path.join(HERE, 'install.sh'), [], { INSTALL_K3S_BIN_DIR: bin, INSTALL_K3S_SYSTEMD_DIR: systemd, INSTALL_K3S_SKIP_ENABLE: 'true', ...env });
  return { ...r, bin, systemd };
}

beforeAll(async () => {
  tmp = await tempState();
  artifacts = path.join(tmp, 'artifacts');
  const r = await sh(path.join(HERE, 'build-airgap.sh'), [artifacts, 'v1.31.4+k3s1'], {});
  expect(r.stderr).toBe('');
}, 60_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('airgap artifacts', { timeout: 60_000 }, () => {
  it('come with sha256sum files in the k3s release format that match the files', async () => {
    for (const arch of ['amd64', 'arm64']) {
      const sums = await fs.readFile(path.join(artifacts, `sha256sum-${arch}.txt`), 'utf8');
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  ${arch === 'amd64' ? 'k3s' : 'k3s-arm64'}$`, 'm'));
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  k3s-airgap-images-${arch}\\.tar\\.zst$`, 'm'));
      const check = await new Promise<number>((resolve) => execFile('sha256sum', ['-c', `sha256sum-${arch}.txt`], { cwd: artifacts }, (err) => resolve(err ? 1 : 0)));
      expect(check).toBe(0);
    }
  });

  it('give a k3s binary that reports its version and refuses the wrong architecture', async () => {
    const ok = await sh(path.join(artifacts, 'k3s'), ['--version'], {});
    expect(ok.stdout).toMatch(/^k3s version v1\.31\.4\+k3s1 \([0-9a-f]{8}\)$/m);
    const wrong = await sh(path.join(artifacts, 'k3s-arm64'), ['--version'], {});
    expect(wrong.code).toBe(126);
    expect(wrong.stderr).toMatch(/Exec format error/);
  });
});

describe('install.sh', { timeout: 60_000 }, () => {
  it('installs a server from the artifact folder, verifying the checksum, with the INSTALL_K3S_EXEC flags in the unit', async () => {
    const r = await install('server', { INSTALL_K3S_ARTIFACT_DIR: artifacts, INSTALL_K3S_EXEC: '--disable traefik --node-label site=plant-4', K3S_TOKEN: "s3cr'et" });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Skipping .*\/kubectl symlink to k3s, command exists in PATH at \/usr\/bin\/kubectl/);
    expect(await fs.readlink(path.join(r.bin, 'crictl'))).toBe('k3s');
    const unit = await fs.readFile(path.join(r.systemd, 'k3s.service'), 'utf8');
    const args = parseExecStart(unit);
    expect(args).toEqual(['--disable', 'traefik', '--node-label', 'site=plant-4']);
    const flags = parseK3sArgs(args);
    expect([...flags.disable]).toEqual(['traefik']);
    expect(flags.nodeLabels).toEqual({ site: 'plant-4' });
    const envFile = path.join(r.systemd, 'k3s.service.env');
    expect((await fs.stat(envFile)).mode & 0o777).toBe(0o600);
    expect(parseEnvFile(await fs.readFile(envFile, 'utf8')).K3S_TOKEN).toBe("s3cr'et");
    const installed = await sh(path.join(r.bin, 'k3s'), ['--version'], {});
    expect(installed.stdout).toMatch(/v1\.31\.4\+k3s1/);
  });

  it('installs an agent when K3S_URL is set, and needs a token for it', async () => {
    const r = await install('agent', { INSTALL_K3S_ARTIFACT_DIR: artifacts, K3S_URL: 'https://10.77.0.11:6443', K3S_TOKEN: 'abc' });
    expect(r.code).toBe(0);
    const unit = await fs.readFile(path.join(r.systemd, 'k3s-agent.service'), 'utf8');
    expect(unit).toMatch(/ExecStart=.*\/k3s \\\n\s+agent/);
    expect(parseEnvFile(await fs.readFile(path.join(r.systemd, 'k3s-agent.service.env'), 'utf8'))).toMatchObject({ K3S_URL: 'https://10.77.0.11:6443', K3S_TOKEN: 'abc' });
    const noToken = await install('agent2', { INSTALL_K3S_ARTIFACT_DIR: artifacts, K3S_URL: 'https://10.77.0.11:6443' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined/);
    const http = await install('agent3', { INSTALL_K3S_ARTIFACT_DIR: artifacts, K3S_URL: 'http://10.77.0.11:6443', K3S_TOKEN: 'abc' });
    expect(http.stderr).toMatch(/Only https:\/\/ URLs are supported/);
  });

  it('refuses a tampered binary, a missing binary, and a download it cannot make', async () => {
    const bad = path.join(tmp, 'tampered');
    await fs.cp(artifacts, bad, { recursive: true });
    await fs.appendFile(path.join(bad, 'k3s'), '# changed\n');
    const t = await install('tampered-box', { INSTALL_K3S_ARTIFACT_DIR: bad });
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/sha256 does not match/);
    const missing = await install('missing', { INSTALL_K3S_SKIP_DOWNLOAD: 'true' });
    expect(missing.stderr).toMatch(/Executable k3s binary not found at .*\/bin\/k3s/);
    const offline = await install('offline', {});
    expect(offline.stderr).toMatch(/no internet in the lab/);
  });

  it('with INSTALL_K3S_SKIP_DOWNLOAD uses the binary already in place', async () => {
    const root = path.join(tmp, 'skip');
    await fs.mkdir(path.join(root, 'bin'), { recursive: true });
    await fs.copyFile(path.join(artifacts, 'k3s'), path.join(root, 'bin', 'k3s'));
    await fs.chmod(path.join(root, 'bin', 'k3s'), 0o755);
    const r = await install('skip', { INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_EXEC: 'server --write-kubeconfig-mode 644' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Skipping k3s download and verify/);
    expect(parseExecStart(await fs.readFile(path.join(r.systemd, 'k3s.service'), 'utf8'))).toEqual(['--write-kubeconfig-mode', '644']);
  });
});
