import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { LabStatus, BoxStatus } from '../../lab/index.ts';
import type { App } from '../../electron/core/app.ts';

const execFileP = promisify(execFile);
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const LAB = path.join(REPO, 'bin', 'fieldlink-lab.js');

/** The lab command itself, as a person would run it (these suites run inside fl-tech, as root). */
export async function lab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(NODE, [LAB, ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

export async function labStatus(): Promise<LabStatus> {
  const r = await lab('status', '--json');
  if (r.code !== 0) throw new Error(`fieldlink-lab status failed: ${r.stderr}`);
  const s = JSON.parse(r.stdout) as LabStatus;
  if (!s.up || s.boxes.length < 3) throw new Error('These suites need the lab up: fieldlink-lab up --boxes 3 --provisioned 1');
  return s;
}

let askpass: string | null = null;
/** OpenSSH reads the password from SSH_ASKPASS: the real client, no sshpass, no key set up. */
function askpassScript(): string {
  if (askpass) return askpass;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-lab-test-'));
  askpass = path.join(dir, 'askpass');
  fs.writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$FL_BOX_PASSWORD"\n', { mode: 0o700 });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return askpass;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command on a box with the real OpenSSH client, logging in with the label password. */
export function ssh(box: Pick<BoxStatus, 'ip' | 'password'>, command: string, opts: { knownHosts?: string; timeoutMs?: number; input?: string } = {}): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'ssh',
      [
        '-o',
        'BatchMode=no',
        '-o',
        'PreferredAuthentications=password',
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        `StrictHostKeyChecking=${opts.knownHosts ? 'yes' : 'no'}`,
        '-o',
        `UserKnownHostsFile=${opts.knownHosts ?? '/dev/null'}`,
        '-o',
        'LogLevel=error',
        '-o',
        'ConnectTimeout=10',
        '-o',
        'NumberOfPasswordPrompts=1',
        '-F',
        '/dev/null',
        `root@${box.ip}`,
        command,
      ],
      { env: { ...process.env, SSH_ASKPASS: askpassScript(), SSH_ASKPASS_REQUIRE: 'force', FL_BOX_PASSWORD: box.password, DISPLAY: '' } },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`ssh ${box.ip} ${command}: timed out`));
    }, opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}

export async function sshOk(box: Pick<BoxStatus, 'ip' | 'password'>, command: string): Promise<string> {
  const r = await ssh(box, command);
  if (r.code !== 0) throw new Error(`ssh ${box.ip} "${command}" exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export function factoryBox(s: LabStatus): BoxStatus {
  const b = s.boxes.find((x) => x.state === 'factory' && x.power === 'on');
  if (!b) throw new Error('no factory box in the lab');
  return b;
}

export function provisionedBox(s: LabStatus): BoxStatus {
  const b = s.boxes.find((x) => x.state === 'provisioned' && x.power === 'on');
  if (!b) throw new Error('no provisioned box in the lab');
  return b;
}

export async function until<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what} (waited ${timeoutMs} ms)${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Runs a lab box's k3s with another scenario (and time scale) by rewriting its server.json, as the
 * box's k3s unit writes it, and waits until the hub serves it. The answer puts the original back.
 */
export async function useScenario(s: LabStatus, boxName: string, scenario: string, extra: { timeScale?: number } = {}): Promise<() => Promise<void>> {
  const dir = path.join(s.dir, 'boxes', boxName, 'k3s');
  const serverJson = path.join(dir, 'server.json');
  const original = fs.readFileSync(serverJson, 'utf8');
  const write = (text: string) => {
    fs.writeFileSync(`${serverJson}.fl-tmp`, text);
    fs.renameSync(`${serverJson}.fl-tmp`, serverJson);
  };
  const serving = (name: string) =>
    until(
      async () => {
        const st = fs.readFileSync(path.join(dir, 'hub-status.json'), 'utf8');
        return st.includes(`"scenario":"${name}"`) && st.includes('"serving"');
      },
      30_000,
      `the hub serving ${boxName} with the ${name} scenario`,
    );
  write(`${JSON.stringify({ ...(JSON.parse(original) as object), scenario, ...extra })}\n`);
  await serving(scenario);
  return async () => {
    write(original);
    await serving((JSON.parse(original) as { scenario: string }).scenario).catch(() => undefined);
  };
}

/**
 * A lab box this laptop already let in once, as a technician's would be: in the inventory, its host
 * keys pinned as if read over its cable, and its label password remembered after one login.
 */
export async function seedKnownBox(app: App, b: BoxStatus): Promise<void> {
  app.bus.emit('box.changed', app.inventory.recordSighting({ boxId: b.serial, source: 'mdns', address: b.ip, hostname: b.hostname, serial: b.serial, arch: b.arch, state: 'new' }));
  for (const k of b.hostKeys) app.trust.pin({ host: b.ip, port: 22, keyType: k.type, fingerprint: k.fingerprint, source: 'serial', boxId: b.serial });
  const first = await app.connections.shell(b.serial, { password: b.password, remember: true, timeoutMs: 30_000 });
  await first.close();
}
