import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { connectSsh } from '../electron/core/transport/ssh/index.ts';
import type { SshShell } from '../electron/core/transport/ssh/index.ts';
import { exportKnownHosts, hostKeyCheck } from '../electron/core/trust/index.ts';
import type { HostKeyId } from '../electron/core/trust/index.ts';
import { canRunSshd, startSshd } from '../test/fixtures/sshd.ts';
import { IN_TECH_NAMESPACE, labStatus, isInner, measureIfInner, measureInside, type BenchResult, type Benchmark } from './harness.ts';
import type { BoxStatus as LabBox } from '../lab/index.ts';

const run = promisify(execFile);
const N = 100;
const ROUNDS = 3;
const here = fileURLToPath(import.meta.url);

interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  pins: HostKeyId[];
  where: string;
  /** Undo what setting up the target did (fixture sshd, installed key). */
  cleanup: () => Promise<void>;
  authorize: (line: string, shell: SshShell) => Promise<void>;
}

function labBox(): LabBox | null {
  const s = labStatus();
  if (!s?.up) return null;
  return s.boxes.find((b) => b.name === 'box-01') ?? s.boxes[0] ?? null;
}

async function targetFor(): Promise<Target> {
  const box = isInner() && !process.env.FL_BENCH_LOCAL ? labBox() : null;
  if (box) {
    let installed: string | null = null;
    return {
      host: box.ip,
      port: 22,
      user: 'root',
      password: box.password,
      pins: box.hostKeys.map((k) => ({ keyType: k.type, fingerprint: k.fingerprint })),
      where: `lab ${box.name} (${box.ip}) from inside fl-tech`,
      authorize: async (line, shell) => {
        installed = line;
        await shell.exec('umask 077; mkdir -p ~/.ssh && cat >> ~/.ssh/authorized_keys', { stdin: `${line}\n`, timeoutMs: 20_000 });
      },
      cleanup: async () => {
        if (!installed) return;
        const sh = await connectSsh({
          host: box.ip,
          user: 'root',
          agent: '',
          password: async () => box.password,
          trust: hostKeyCheck({ pinned: box.hostKeys.map((k) => ({ keyType: k.type, fingerprint: k.fingerprint })), mode: 'strict' }),
        });
        const body = installed.split(' ')[1]!;
        // Leave the box as found: our line out, the file's mode kept, and no empty file left behind.
        await sh.exec(`f=~/.ssh/authorized_keys; grep -vF '${body}' "$f" > "$f.fl"; if [ -s "$f.fl" ]; then cat "$f.fl" > "$f"; else rm -f "$f"; fi; rm -f "$f.fl"`, {
          timeoutMs: 20_000,
        });
        await sh.close();
      },
    };
  }
  const d = await startSshd();
  return {
    host: d.host,
    port: d.port,
    user: d.user,
    password: d.password,
    pins: d.hostKeys,
    where: 'a private OpenSSH sshd on 127.0.0.1 (the lab was not used)',
    authorize: async (line) => d.authorize(line),
    cleanup: () => d.stop(),
  };
}

async function measure(progress: (m: string) => void): Promise<BenchResult> {
  const t = await targetFor();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-ssh-'));
  const sock = path.join(dir, 'cm.sock');
  let master: ReturnType<typeof spawn> | undefined;
  let ours: SshShell | undefined;
  try {
    progress(`target: ${t.where}`);
    ours = await connectSsh({
      host: t.host,
      port: t.port,
      user: t.user,
      agent: '',
      password: async () => t.password,
      trust: hostKeyCheck({ pinned: t.pins, mode: 'strict' }),
      timeoutMs: 30_000,
    });
    // Both sides use the same host key check: OpenSSH gets a known_hosts file exported from our pins.
    const kh = path.join(dir, 'known_hosts');
    fs.writeFileSync(
      kh,
      exportKnownHosts(
        t.pins.map((p) => ({ host: t.host, port: t.port, boxId: null, keyType: p.keyType, fingerprint: p.fingerprint, source: 'typed' as const, pinnedAt: '' })),
        [ours.hostKey],
      ).text,
    );
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'fieldlink-bench' });
    const keyFile = path.join(dir, 'id_ed25519');
    fs.writeFileSync(keyFile, pair.private, { mode: 0o600 });
    await t.authorize(pair.public, ours);

    const common = [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${kh}`,
      '-o',
      'HostKeyAlias=' + (t.port === 22 ? t.host : `[${t.host}]:${t.port}`),
      '-i',
      keyFile,
      '-o',
      'IdentitiesOnly=yes',
      '-p',
      String(t.port),
    ];
    const dest = `${t.user}@${t.host}`;
    master = spawn('ssh', [...common, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=120', '-S', sock, '-N', dest], { stdio: 'ignore' });
    const until = Date.now() + 20_000;
    while (!fs.existsSync(sock)) {
      if (Date.now() > until || master.exitCode !== null) throw new Error('the OpenSSH ControlMaster did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    const theirsOne = () => run('ssh', [...common, '-o', 'ControlMaster=no', '-S', sock, dest, 'true'], { timeout: 30_000 });
    const oursOne = async () => {
      const r = await ours!.exec('true', { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error('true failed on the box');
    };
    for (let i = 0; i < 5; i++) {
      await oursOne();
      await theirsOne();
    }
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let t0 = performance.now();
      for (let i = 0; i < N; i++) await oursOne();
      oursMs.push(performance.now() - t0);
      t0 = performance.now();
      for (let i = 0; i < N; i++) await theirsOne();
      theirsMs.push(performance.now() - t0);
      progress(`round ${round + 1}: ours ${oursMs.at(-1)!.toFixed(0)} ms, OpenSSH ControlMaster ${theirsMs.at(-1)!.toFixed(0)} ms`);
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    const o = median(oursMs);
    const th = median(theirsMs);
    return {
      figures: [
        { label: `${N} sequential commands, one connection (median of ${ROUNDS})`, value: Math.round(o), unit: 'ms', side: 'ours' },
        { label: 'per command', value: o / N, unit: 'ms', side: 'ours' },
        { label: `${N} sequential commands, ssh -S ControlMaster (median of ${ROUNDS})`, value: Math.round(th), unit: 'ms', side: 'anchor' },
        { label: 'per command', value: th / N, unit: 'ms', side: 'anchor' },
      ],
      anchor: `ssh -o ControlMaster=yes -o ControlPersist=120 -S SOCK -N ${dest}; then ${N} x: ssh -S SOCK ${dest} true`,
      ratio: { value: o / th, goal: 1.2, better: 'lower', meaning: 'our time / OpenSSH ControlMaster time for the same 100 commands' },
      notes: [
        `target: ${t.where}`,
        `rounds: ours ${oursMs.map((x) => x.toFixed(0)).join('/')} ms, anchor ${theirsMs.map((x) => x.toFixed(0)).join('/')} ms`,
        "both sides run the command 'true'; ours includes the per-command pid wrapper that makes cancellation real",
      ],
    };
  } finally {
    await ours?.close().catch(() => undefined);
    if (master?.pid) {
      try {
        execFileSync('ssh', ['-S', sock, '-O', 'exit', 'x'], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        master.kill('SIGTERM');
      }
    }
    await t.cleanup().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Benchmark = {
  name: 'ssh-exec',
  description: `${N} sequential small commands on one SSH connection vs the OpenSSH client with ControlMaster, same target, same run`,
  async requires() {
    if (labBox()) return process.getuid?.() === 0 ? null : 'the lab is up but entering fl-tech needs root';
    return canRunSshd();
  },
  async run(progress) {
    // The lab's boxes are reachable only from the technician namespace: measure from there.
    // FL_BENCH_LOCAL=1 measures against a private sshd on 127.0.0.1 even when the lab is up.
    if (!isInner() && !process.env.FL_BENCH_LOCAL && labBox()) {
      progress('lab is up: measuring from inside fl-tech against box-01');
      return measureInside(here, IN_TECH_NAMESPACE, progress);
    }
    return measure(progress);
  },
};

await measureIfInner(here, measure);
