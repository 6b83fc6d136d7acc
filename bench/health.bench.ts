import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createApp } from '../electron/core/app.ts';
import { ApiSession, canForward, healthOf } from '../electron/core/health/index.ts';
import { IN_TECH_NAMESPACE, labStatus, measureIfInner, measureInside, type BenchResult, type Benchmark } from './harness.ts';

/**
 * `fieldlink health TARGET --json` against a lab box with the pods-500 scenario at 100 ms round trip,
 * against what a technician would type instead: `ssh BOX 'k3s kubectl get nodes,pods,events -A -o json'`
 * with the OpenSSH client. Both log in with the box's password, both start cold (a new process,
 * a new SSH connection). Then ours with the SSH connection already pooled, in process.
 */
const run = promisify(execFile);
const here = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(here), '..');
const LAB = path.join(REPO, 'bin', 'fieldlink-lab.js');
const BIN = path.join(REPO, 'bin', 'fieldlink.js');
const BOX = 'box-01';
const SCENARIO = 'pods-500';
const DELAY_MS = 50;
const ROUNDS = 5;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wall time of one child process, with its stdout. */
function timed(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(kill);
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${path.basename(cmd)} exited ${code}: ${err.slice(-400)}`));
      else resolve({ ms, stdout: Buffer.concat(out).toString('utf8') });
    });
    p.stdin.end(opts.input ?? '');
  });
}

async function measure(progress: (m: string) => void): Promise<BenchResult> {
  const lab = labStatus();
  const box = lab?.boxes.find((b) => b.name === BOX);
  if (!lab || !box) throw new Error(`the lab has no ${BOX}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-health-'));
  const dataDir = path.join(dir, 'data');
  const knownHosts = path.join(dir, 'known_hosts');
  const askpass = path.join(dir, 'askpass');
  fs.writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$FL_BOX_PASSWORD"\n', { mode: 0o700 });
  const target = `ssh://root@${box.ip}`;
  const sshArgs = [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=no',
    '-o',
    'PreferredAuthentications=password',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'LogLevel=error',
    `root@${box.ip}`,
    'k3s kubectl get nodes,pods,events -A -o json',
  ];
  const sshEnv = { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', FL_BOX_PASSWORD: box.password, DISPLAY: '' };
  const ours = (extra: string[] = []) =>
    timed(process.execPath, [BIN, '--data-dir', dataDir, 'health', target, '--json', '--password-stdin', ...extra], { input: `${box.password}\n` });
  const theirs = () => timed('ssh', sshArgs, { env: sshEnv });
  try {
    // Warm-up (not timed): pins the host key on both sides, fills the page cache.
    const first = JSON.parse((await ours(['--accept-new'])).stdout) as { podCount: number };
    const anchorList = JSON.parse((await theirs()).stdout) as { items: Array<{ kind: string }> };
    const anchorPods = anchorList.items.filter((i) => i.kind === 'Pod').length;
    progress(`warm-up: fieldlink ${first.podCount} pods, kubectl ${anchorPods} pods`);
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < ROUNDS; i++) {
      oursMs.push((await ours()).ms);
      const t = await theirs();
      theirsMs.push(t.ms);
      bytes = t.stdout.length;
      progress(`round ${i + 1}: fieldlink health ${oursMs.at(-1)!.toFixed(0)} ms, ssh + k3s kubectl ${theirsMs.at(-1)!.toFixed(0)} ms`);
    }

    // In process: the SSH connection pooled by the first call; the second and later calls reuse it.
    const app = createApp({ host: 'cli', dataDir });
    const pooledMs: number[] = [];
    const sessionMs: number[] = [];
    try {
      const shell = await app.connections.shell(target, { password: box.password });
      if (!canForward(shell)) throw new Error('no tunnel over this shell');
      await healthOf(shell);
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        await healthOf(shell);
        pooledMs.push(performance.now() - t0);
      }
      // And as the app keeps it between refreshes: kubeconfig read and tunnel open once.
      const session = await ApiSession.open(shell);
      try {
        await session.snapshot();
        for (let i = 0; i < ROUNDS; i++) {
          const t0 = performance.now();
          await session.snapshot();
          sessionMs.push(performance.now() - t0);
        }
      } finally {
        await session.close();
      }
      progress(`pooled: ${pooledMs.map((x) => x.toFixed(0)).join('/')} ms; kept session: ${sessionMs.map((x) => x.toFixed(0)).join('/')} ms`);
    } finally {
      await app.close();
    }
    const o = median(oursMs);
    const a = median(theirsMs);
    const p = median(pooledMs);
    const s = median(sessionMs);
    return {
      figures: [
        { label: `fieldlink health --json, new process and connection (median of ${ROUNDS})`, value: Math.round(o), unit: 'ms', side: 'ours' },
        { label: `ssh BOX 'k3s kubectl get nodes,pods,events -A -o json' (median of ${ROUNDS})`, value: Math.round(a), unit: 'ms', side: 'anchor' },
        { label: 'health, SSH connection pooled (in process, 2nd+ call)', value: Math.round(p), unit: 'ms', side: 'ours' },
        { label: 'health, pooled with kubeconfig and tunnel kept (app refresh)', value: Math.round(s), unit: 'ms', side: 'ours' },
        { label: 'pooled / anchor', value: p / a, unit: 'ratio' },
        { label: 'pods', value: first.podCount, unit: 'count' },
        { label: 'kubectl JSON size', value: Math.round(bytes / 1024), unit: 'KiB' },
        { label: 'round trip added on the LAN', value: 2 * DELAY_MS, unit: 'ms' },
      ],
      anchor: `ssh -o PreferredAuthentications=password root@${box.ip} 'k3s kubectl get nodes,pods,events -A -o json' (OpenSSH, password by SSH_ASKPASS)`,
      ratio: { value: o / a, goal: 1.1, better: 'lower', meaning: 'fieldlink health --json wall time / ssh + k3s kubectl wall time, both cold' },
      notes: [
        `${BOX} (${box.ip}) with the ${SCENARIO} scenario, LAN at ${2 * DELAY_MS} ms round trip (fieldlink-lab net lan --delay ${DELAY_MS}), measured from fl-tech; both sides log in with the box password`,
        `pooled / anchor = ${(p / a).toFixed(3)} (goal <= 0.5: ${p / a <= 0.5 ? 'MET' : 'NOT MET'})`,
        `rounds: ours ${oursMs.map((x) => x.toFixed(0)).join('/')} ms, anchor ${theirsMs.map((x) => x.toFixed(0)).join('/')} ms, pooled ${pooledMs.map((x) => x.toFixed(0)).join('/')} ms, kept session ${sessionMs.map((x) => x.toFixed(0)).join('/')} ms`,
        'ours includes Node start-up, the SSH login, the tunnel, TLS and the paged lists (500 pods per page, as kubectl) plus metrics; the timed runs use the k3s credentials the warm-up kept (a first call also reads the kubeconfig: one command, ~0.1 s more here)',
        'pooled: each call reads the kubeconfig and opens a tunnel again on the pooled SSH connection; kept session: both kept, as a refreshing view would',
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Outside fl-tech (root namespace): set box-01's scenario and the LAN delay, measure inside fl-tech, put both back. */
async function outer(progress: (m: string) => void): Promise<BenchResult> {
  const lab = labStatus();
  if (!lab?.up) throw new Error('the lab is not up');
  if (lab.links && lab.links.lan.delayMs !== null) throw new Error(`the LAN already has a delay (${lab.links.lan.delayMs} ms): someone else is shaping it; not touching it`);
  const serverJson = path.join(lab.dir, 'boxes', BOX, 'k3s', 'server.json');
  const statusJson = path.join(lab.dir, 'boxes', BOX, 'k3s', 'hub-status.json');
  const original = fs.readFileSync(serverJson, 'utf8');
  const write = (text: string) => {
    fs.writeFileSync(`${serverJson}.fl-bench`, text);
    fs.renameSync(`${serverJson}.fl-bench`, serverJson);
  };
  const waitFor = async (scenario: string) => {
    const end = Date.now() + 60_000;
    while (!new RegExp(`"state":"serving","scenario":"${scenario}"`).test(fs.readFileSync(statusJson, 'utf8'))) {
      if (Date.now() > end) throw new Error(`${BOX}'s API did not come up with ${scenario}`);
      await sleep(250);
    }
  };
  const spec = JSON.parse(original) as { scenario: string };
  try {
    progress(`${BOX}: scenario ${spec.scenario} -> ${SCENARIO}`);
    write(`${JSON.stringify({ ...spec, scenario: SCENARIO })}\n`);
    await waitFor(SCENARIO);
    progress(`LAN: +${DELAY_MS} ms each way (fieldlink-lab net lan --delay ${DELAY_MS})`);
    await run(process.execPath, [LAB, 'net', 'lan', '--delay', String(DELAY_MS)], { timeout: 60_000 });
    return await measureInside(here, IN_TECH_NAMESPACE, progress, 10 * 60_000);
  } finally {
    await run(process.execPath, [LAB, 'net', 'lan', '--clear'], { timeout: 60_000 }).catch((e: unknown) => progress(`could not clear the LAN delay: ${String(e)}`));
    write(original);
    progress(`${BOX}: scenario back to ${spec.scenario}; LAN delay cleared`);
  }
}

export const bench: Benchmark = {
  name: 'health',
  description: `fieldlink health --json vs ssh + k3s kubectl get nodes,pods,events -A -o json, ${SCENARIO} at ${2 * DELAY_MS} ms round trip; and with the SSH connection pooled`,
  async requires() {
    if (process.getuid?.() !== 0) return 'needs root (the lab)';
    const lab = labStatus();
    if (!lab?.up) return 'needs the lab up: sudo npm run lab -- up --boxes 5 --provisioned 2';
    const b = lab.boxes.find((x) => x.name === BOX);
    return b && b.state === 'provisioned' && b.power === 'on' ? null : `needs ${BOX} provisioned and on`;
  },
  run: (progress) => outer(progress),
};

await measureIfInner(here, measure);
