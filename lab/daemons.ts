import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { FieldlinkError } from '../shared/errors.ts';

/**
 * Starts a lab daemon in its own session (so it outlives the `up` command and has its own process
 * group, which `down` ends by id), logging to a file.
 */
export function startDaemon(cmd: string, args: string[], opts: { log: string; pidFile: string; cwd?: string; env?: NodeJS.ProcessEnv }): number {
  const fd = fs.openSync(opts.log, 'a');
  const p = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], cwd: opts.cwd, env: opts.env ?? process.env });
  fs.closeSync(fd);
  p.unref();
  if (!p.pid) throw new Error(`could not start ${cmd}`);
  fs.writeFileSync(opts.pidFile, String(p.pid));
  return p.pid;
}

export function readPid(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : null;
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends a daemon and everything in its process group: TERM, a grace period, then KILL. */
export async function stopDaemon(pidFile: string, graceMs = 2000): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === null) return;
  // Only a group we made: a live recycled pid that leads no group is someone else's and left alone.
  // A dead leader's group can still hold its children; Linux never hands out a pid that is still
  // some group's id, so signalling -pid then reaches only ours.
  const pgid = pgidOf(pid);
  const target = pgid === pid || (pgid === null && groupAlive(pid)) ? -pid : null;
  if (target === null) {
    fs.rmSync(pidFile, { force: true });
    return;
  }
  try {
    process.kill(target, 'SIGTERM');
  } catch {
    /* gone */
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pid)) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* gone */
    }
    const hard = Date.now() + 2000;
    while (Date.now() < hard && groupAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  }
  fs.rmSync(pidFile, { force: true });
}

function pgidOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 5 after the ")" that closes the command name.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[2]);
  } catch {
    return null;
  }
}

/** A live (not zombie) member of the group: this machine's init reaps orphans only now and then. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z') return true;
  }
  return false;
}

/** Polls until `cond` holds; a TIMEOUT error says `what` did not happen. `cond` may throw to give up early. */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new FieldlinkError('TIMEOUT', `${what} within ${timeoutMs / 1000} s.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
