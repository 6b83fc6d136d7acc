import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../shared/errors.ts';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { paths } from '../config.ts';
import { boxMounts } from './mounts.ts';
import { boxEnv } from './rootfs.ts';
import type { BoxRecord } from '../state.ts';

/**
 * Boots a box in its network namespace, in fresh mount, UTS and pid namespaces. lab-boot stays as
 * the box's pid 1, so this returns once it reports the box booted (or fails with its log).
 */
export async function bootBox(b: BoxRecord, signal?: AbortSignal): Promise<void> {
  const dir = paths.box(b.name);
  const booted = path.join(dir, 'run', 'lab', 'booted');
  const logFile = path.join(dir, 'boot.log');
  freshRun(dir);
  const mounts = boxMounts(dir);
  fs.writeFileSync(path.join(dir, 'mounts.fstab'), mounts.fstab);
  fs.writeFileSync(path.join(dir, 'mounts.each'), mounts.eachReadOnly.map((d) => d + '\n').join(''));
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(
    'ip',
    ['netns', 'exec', b.ns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--propagation', 'private', '/bin/bash', path.join(dir, 'bin', 'lab-boot'), dir],
    { env: boxEnv(), detached: true, stdio: ['ignore', fd, fd] },
  );
  fs.closeSync(fd);
  child.unref();
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.on('error', () => (exited = 127));
  const end = Date.now() + 30_000;
  for (;;) {
    if (fs.existsSync(booted) && recordMountNamespace(b)) return;
    const why = signal?.aborted ? 'cancelled' : exited !== null ? `lab-boot exited ${exited}` : Date.now() > end ? 'no boot within 30 s' : null;
    if (why) {
      await killBox(b).catch(() => {});
      const log = readText(logFile) ?? '';
      throw new FieldlinkError(signal?.aborted ? 'ABORTED' : 'INTERNAL', `${b.name} did not boot (${why}): ${log.slice(-800)}`, { box: b.name });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The box's /run as a real box starts it, empty (it is a tmpfs there), with the folders its
 * services expect and the boot's identity. Done here rather than in lab-boot: on a busy lab
 * machine every process a boot spawns counts, and these need none.
 */
function freshRun(dir: string): void {
  const run = path.join(dir, 'run');
  fs.mkdirSync(run, { recursive: true });
  for (const f of fs.readdirSync(run)) fs.rmSync(path.join(run, f), { recursive: true, force: true });
  for (const d of ['lab/k3s', 'sshd', 'lock', 'avahi-daemon', 'user']) fs.mkdirSync(path.join(run, d), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(run, 'utmp'), '');
  fs.writeFileSync(path.join(run, 'lab', 'kmsg'), '');
  fs.writeFileSync(path.join(run, 'lab', 'boot-id'), crypto.randomBytes(16).toString('hex'));
  // The boot's wall-clock start in microseconds: the box journal's monotonic clock counts from it.
  fs.writeFileSync(path.join(run, 'lab', 'boot-realtime-us'), String(Math.round((performance.timeOrigin + performance.now()) * 1000)));
}

/**
 * Notes the mount namespace of the box's init once it reports booted: initPid() checks against it
 * so that a recycled pid of a dead box never counts as the box. False until init.pid is written
 * (or if init died already).
 */
function recordMountNamespace(b: BoxRecord): boolean {
  const pid = Number(readText(path.join(paths.box(b.name), 'run', 'lab', 'init.pid')));
  const mnt = Number.isInteger(pid) && pid > 0 ? nsOf(pid, 'mnt') : null;
  if (!mnt) return false;
  fs.writeFileSync(path.join(paths.box(b.name), 'run', 'lab', 'mntns'), mnt);
  return true;
}

/** The box's init (anchor) pid, or null when the box is down. */
export function initPid(b: BoxRecord): number | null {
  const pid = Number(readText(path.join(paths.box(b.name), 'run', 'lab', 'init.pid')));
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const mnt = readText(path.join(paths.box(b.name), 'run', 'lab', 'mntns'));
  // A recycled pid from a dead box must not count: it has to be in the box's mount namespace.
  return mnt && nsOf(pid, 'mnt') === mnt ? pid : null;
}

/** Every process of the box: all share its mount namespace or its network namespace. */
export function boxPids(b: BoxRecord): number[] {
  const mnt = readText(path.join(paths.box(b.name), 'run', 'lab', 'mntns'));
  let net: string | null = null;
  try {
    const st = fs.statSync(`/run/netns/${b.ns}`);
    net = `net:[${st.ino}]`;
  } catch {
    /* namespace gone */
  }
  const out: number[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    if ((mnt && nsOf(pid, 'mnt') === mnt) || (net && nsOf(pid, 'net') === net)) out.push(pid);
  }
  return out;
}

/** Pulls the power: every box process dies at once, as in a real power cut. */
export async function killBox(b: BoxRecord, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = boxPids(b);
    if (pids.length === 0) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (Date.now() > deadline) throw new FieldlinkError('TIMEOUT', `${b.name}: processes ${pids.join(' ')} would not die.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Proportional memory of the box's processes (shared libraries split among their users). */
export function boxMemoryKiB(b: BoxRecord): number {
  let total = 0;
  for (const pid of boxPids(b)) {
    const text = readText(`/proc/${pid}/smaps_rollup`);
    const m = text ? /^Pss:\s+(\d+) kB/m.exec(text) : null;
    if (m) total += Number(m[1]);
  }
  return total;
}

export function allPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

export function nsOf(pid: number, kind: 'mnt' | 'net' | 'uts'): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
