/**
 * Proves that `down` leaves nothing behind: namespaces, links, mounts, processes and files are
 * compared before an up/down cycle and after it. The cycle exercises what makes leftovers (a
 * provisioned box with its API relay, a reboot, an unplugged console, a delay line on the LAN).
 *
 * Run from the machine's own namespace after the lab suites (it cannot run inside fl-tech: `down`
 * ends every process in the lab's namespaces, the test runner's included). It leaves the lab down.
 *   node_modules/.bin/node lab/selftest-teardown.ts
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { labDir } from './config.ts';
import { allPids, nsOf } from './box/lifecycle.ts';
import { mountTable } from './box/mounts.ts';

const NODE = process.execPath;
const CLI = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'fieldlink-lab.js');

interface Proc {
  pid: number;
  cmd: string;
  net: string | null;
  mnt: string | null;
}

interface Snapshot {
  netns: string[];
  links: string[];
  mounts: string[];
  procs: Proc[];
  files: string[];
}

function snapshot(): Snapshot {
  const dir = labDir();
  let netns: string[] = [];
  try {
    netns = fs.readdirSync('/run/netns').sort();
  } catch {
    netns = [];
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean)
    .sort();
  const mounts = mountTable()
    .map((m) => m.target)
    .sort();
  const procs: Proc[] = [];
  for (const pid of allPids()) {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (cmd === '') continue; // kernel threads and zombies
    procs.push({ pid, cmd, net: nsOf(pid, 'net'), mnt: nsOf(pid, 'mnt') });
  }
  const files = [dir, `${dir}.lock`].filter((f) => fs.existsSync(f));
  return { netns, links, mounts, procs, files };
}

function lab(...args: string[]): void {
  execFileSync(NODE, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
}

function main(): number {
  lab('down');
  const before = snapshot();
  lab('up', '--boxes', '2', '--provisioned', '1', '--console-noise', '1');
  lab('net', 'lan', '--delay', '20', '--loss', '1');
  lab('unplug', 'box-02');
  lab('reboot', 'box-01');
  const during = snapshot();
  lab('down');
  const after = snapshot();

  const problems: string[] = [];
  const newNs = after.netns.filter((n) => !before.netns.includes(n));
  if (newNs.length) problems.push(`namespaces left: ${newNs.join(', ')}`);
  const newLinks = after.links.filter((n) => !before.links.includes(n));
  if (newLinks.length) problems.push(`links left in the root namespace: ${newLinks.join(', ')}`);
  // /run/netns itself is ip's own bind mount, made on first use and kept by design of iproute2.
  const newMounts = after.mounts.filter((m) => !before.mounts.includes(m) && m !== '/run/netns');
  if (newMounts.length) problems.push(`mounts left: ${newMounts.join(', ')}`);
  if (after.files.length) problems.push(`files left: ${after.files.join(', ')}`);
  const oldPids = new Set(before.procs.map((p) => p.pid));
  const labNs = new Set(during.procs.filter((p) => during.netns.length && p.net && !before.procs.some((b) => b.net === p.net)).map((p) => p.net));
  const leftovers = after.procs.filter((p) => !oldPids.has(p.pid) && (p.cmd.includes(labDir()) || (p.net !== null && labNs.has(p.net))));
  if (leftovers.length) problems.push(`processes left: ${leftovers.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
  // The cycle must have made something, or the comparison proves nothing.
  const made = during.netns.filter((n) => !before.netns.includes(n)).length;
  if (made < 5) problems.push(`the up/down cycle made only ${made} namespaces; the check is void`);

  if (problems.length) {
    process.stderr.write(`down left things behind:\n  ${problems.join('\n  ')}\n`);
    return 1;
  }
  const labProcs = during.procs.filter((p) => !oldPids.has(p.pid) && (p.cmd.includes(labDir()) || (p.net !== null && labNs.has(p.net)))).length;
  process.stdout.write(`down leaves nothing behind: ${made} namespaces and ${labProcs} lab processes made and removed; links, mounts and files as before.\n`);
  return 0;
}

process.exitCode = main();
