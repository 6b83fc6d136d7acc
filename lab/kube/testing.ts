import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { startHub, type Hub, type HubOptions } from './hub.ts';
import { boxPaths } from './box-files.ts';
import { freePort } from '../../test/fixtures/ports.ts';

/**
 * Test fixture shared by the hub's unit tests: a temp lab state folder, the hub in-process, and a
 * socat bridge from 127.0.0.1 to a box's api.sock so real kubectl and client-node can reach it
 * (loopback only, as the network safety rule asks).
 */

export interface TestBox {
  name: string;
  hostname: string;
  ip: string;
  arch?: 'amd64' | 'arm64';
  scenario: string;
  role?: 'server' | 'agent';
  timeScale?: number;
}

export async function tempState(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'fl-kube-'));
}

export async function writeServerJson(state: string, b: TestBox): Promise<string> {
  const dir = path.join(state, 'boxes', b.name);
  await fs.mkdir(path.join(dir, 'k3s'), { recursive: true });
  const file = boxPaths(dir).serverJson;
  const body = {
    name: b.name,
    hostname: b.hostname,
    ip: b.ip,
    arch: b.arch ?? 'amd64',
    scenario: b.scenario,
    role: b.role ?? 'server',
    k3sVersion: 'v1.30.6+k3s1',
    ...(b.timeScale ? { timeScale: b.timeScale } : {}),
  };
  await fs.writeFile(`${file}.tmp`, JSON.stringify(body));
  await fs.rename(`${file}.tmp`, file);
  return dir;
}

export async function startTestHub(state: string, opts: Partial<HubOptions> = {}): Promise<Hub> {
  return startHub({ stateDir: state, pollMs: 200, logger: pino({ level: 'silent' }), ...opts });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Bridge {
  port: number;
  kubeconfig: string;
  close(): Promise<void>;
}

/** socat on 127.0.0.1 to the box's socket, and the box's kubeconfig pointed at it. */
export async function bridge(boxDir: string): Promise<Bridge> {
  const p = boxPaths(boxDir);
  await waitFor('api.sock', () => fs.stat(p.socket).then(() => true));
  await waitFor('kubeconfig', () => fs.stat(p.kubeconfig).then(() => true));
  const port = await freePort();
  const proc: ChildProcess = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${p.socket}`], { stdio: 'ignore' });
  await waitFor(
    'socat listening',
    () =>
      new Promise<boolean>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => {
          c.destroy();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      }),
  );
  const kubeconfig = path.join(boxDir, `kubeconfig-${port}.yaml`);
  const text = await fs.readFile(p.kubeconfig, 'utf8');
  await fs.writeFile(kubeconfig, text.replace('https://127.0.0.1:6443', `https://127.0.0.1:${port}`), { mode: 0o600 });
  return {
    port,
    kubeconfig,
    close: async () => {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      await fs.rm(kubeconfig, { force: true });
    },
  };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 124) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Starts a long-running kubectl (get -w, logs -f) and collects its output until stopped. */
export function kubectlStream(kubeconfig: string, args: string[]): { out: () => string; err: () => string; exited: Promise<number | null>; stop: () => Promise<void> } {
  const proc = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const MAX = 4 * 1024 * 1024;
  proc.stdout.on('data', (d: Buffer) => {
    if (out.length < MAX) out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    if (err.length < MAX) err += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    out: () => out,
    err: () => err,
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** A raw HTTPS request to a box's socket with its admin certificate; resolves at the response head. */
export async function apiRequest(boxDir: string, urlPath: string): Promise<{ status: number; body: () => Promise<string>; close: () => void }> {
  const { parse } = await import('yaml');
  const https = await import('node:https');
  const kc = parse(await fs.readFile(boxPaths(boxDir).kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
  const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        socketPath: boxPaths(boxDir).socket,
        path: urlPath,
        servername: 'kubernetes',
        ca: b(kc.clusters[0]!.cluster['certificate-authority-data']),
        cert: b(kc.users[0]!.user['client-certificate-data']),
        key: b(kc.users[0]!.user['client-key-data']),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const done = new Promise<string>((r) => res.on('end', () => r(Buffer.concat(chunks).toString('utf8'))));
        res.on('data', (d: Buffer) => chunks.push(d));
        resolve({ status: res.statusCode ?? 0, body: () => done, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
  });
}
