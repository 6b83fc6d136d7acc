import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../shared/errors.ts';
import { run } from '../exec.ts';
import { paths } from '../config.ts';
import { boxEnv } from './rootfs.ts';
import type { BoxRecord } from '../state.ts';

/** Boots a box in its network namespace, in fresh mount and UTS namespaces. */
export async function bootBox(b: BoxRecord, signal?: AbortSignal): Promise<void> {
  const dir = paths.box(b.name);
  const r = await run('ip', ['netns', 'exec', b.ns, 'unshare', '--mount', '--uts', '--propagation', 'private', '/bin/bash', path.join(dir, 'bin', 'lab-boot'), dir], {
    env: boxEnv(),
    signal,
    timeoutMs: 30_000,
    allowFail: true,
  });
  if (r.code !== 0) throw new FieldlinkError('INTERNAL', `${b.name} did not boot: ${(r.stderr || r.stdout).trim().slice(-800)}`, { box: b.name });
  if (!initPid(b)) throw new FieldlinkError('INTERNAL', `${b.name} booted but left no init process.`, { box: b.name });
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
