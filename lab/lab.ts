import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../shared/errors.ts';
import {
  COLLECTOR_IP,
  COLLECTOR_PORT,
  DEFAULT_BAUD,
  DEFAULT_CONSOLE_NOISE_S,
  LAB_SRC,
  MAX_BOXES,
  NODE_BIN,
  NS,
  REPO_ROOT,
  SCENARIOS,
  TECH_IP,
  UPLINK_TECH_IP,
  boxIndex,
  labDir,
  paths,
} from './config.ts';
import { pool, run } from './exec.ts';
import { createTopology, destroyTopology, labNamespaces, linkState, type LinkState } from './net/topology.ts';
import { makeBox } from './box/facts.ts';
import { hashPasswords, k3sScript, prepareBox, provisionBoxFiles } from './box/rootfs.ts';
import { mountTable, type MountEntry } from './box/mounts.ts';
import { diskUsage, mountBoxDisks, setDiskFull, unmountBoxDisks, type DiskUsage } from './box/disk.ts';
import { allPids, bootBox, boxMemoryKiB, initPid, killBox, nsOf } from './box/lifecycle.ts';
import { alive, readPid, startDaemon, stopDaemon, waitFor } from './daemons.ts';
import { hostKeys, type HostKey } from './hostkeys.ts';
import { labd } from './console/control.ts';
import { readState, writeState, type BoxRecord, type LabState } from './state.ts';

export interface UpOptions {
  boxes: number;
  provisioned?: number;
  scenario?: string;
  baud?: number;
  consoleNoiseS?: number;
  signal?: AbortSignal;
  progress?: (msg: string) => void;
}

export interface BoxStatus {
  name: string;
  ns: string;
  serial: string;
  model: string;
  vendor: string;
  arch: 'amd64' | 'arm64';
  ip: string;
  mac: string;
  /** The network manager whose files set the box's address. */
  network: BoxRecord['network'];
  /** The box clock minus the build machine's, in seconds (`clock BOX --offset S`). */
  clockOffsetS: number;
  /** The box's own disk (`disk BOX --full|--free`). */
  disk: DiskUsage;
  hostname: string;
  machineId: string;
  password: string;
  console: string;
  consolePlugged: boolean;
  baud: number;
  state: 'factory' | 'provisioned';
  power: 'on' | 'off';
  api: 'running' | 'stopped' | 'none';
  kubeconfig: string | null;
  memoryKiB: number;
  hostKeys: HostKey[];
}

export interface LabStatus {
  up: boolean;
  dir: string;
  tech: { ns: string; ip: string; uplinkIp: string };
  collector: { ns: string; ip: string; url: string };
  options: LabState['options'] | null;
  daemons: { labd: boolean; kubeHub: boolean | null };
  links: { uplink: LinkState; lan: LinkState } | null;
  artifacts: { dir: string; installSh: string | null; k3s: string };
  boxes: BoxStatus[];
}

const BAUDS = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

export function assertCanRun(): void {
  if (process.platform !== 'linux') throw new FieldlinkError('NOT_AVAILABLE_YET', 'The edge-box lab runs on Linux only (it needs network namespaces).');
  if (process.getuid?.() !== 0) throw new FieldlinkError('UNAUTHORIZED', 'The edge-box lab needs root (namespaces, veths, mounts): run it with sudo.');
}

/** One lab command at a time: two `up`s racing would build two half-labs on the same names. */
export async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = `${labDir()}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = readPid(lock);
      if (holder !== null && alive(holder) && holder !== process.pid) {
        throw new FieldlinkError('CONFLICT', `Another fieldlink-lab command (pid ${holder}) is changing the lab; wait for it to finish.`);
      }
      fs.rmSync(lock, { force: true });
      if (attempt > 3) throw new FieldlinkError('STORAGE', `Cannot take the lab lock ${lock}.`);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export function validateUp(o: UpOptions): Required<Omit<UpOptions, 'signal' | 'progress'>> {
  const boxes = o.boxes;
  if (!Number.isInteger(boxes) || boxes < 1 || boxes > MAX_BOXES) throw new FieldlinkError('BAD_REQUEST', `--boxes must be a whole number from 1 to ${MAX_BOXES}.`);
  const provisioned = o.provisioned ?? 0;
  if (!Number.isInteger(provisioned) || provisioned < 0 || provisioned > boxes) throw new FieldlinkError('BAD_REQUEST', `--provisioned must be from 0 to --boxes (${boxes}).`);
  const scenario = o.scenario ?? 'healthy';
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new FieldlinkError('BAD_REQUEST', `Unknown scenario "${scenario}"; pick one of: ${SCENARIOS.join(', ')}.`);
  const baud = o.baud ?? DEFAULT_BAUD;
  if (!BAUDS.includes(baud)) throw new FieldlinkError('BAD_REQUEST', `--baud must be a standard rate: ${BAUDS.join(', ')}.`);
  const consoleNoiseS = o.consoleNoiseS ?? envNoise() ?? DEFAULT_CONSOLE_NOISE_S;
  if (!(consoleNoiseS >= 0) || consoleNoiseS > 86_400) throw new FieldlinkError('BAD_REQUEST', '--console-noise is the mean seconds between kernel messages (0 turns them off).');
  return { boxes, provisioned, scenario, baud, consoleNoiseS };
}

function envNoise(): number | undefined {
  const v = process.env.FIELDLINK_LAB_CONSOLE_NOISE;
  return v === undefined || v === '' ? undefined : Number(v);
}

/** Is the recorded lab complete and alive (every box booted, the daemon answering)? */
function healthy(s: LabState): boolean {
  const d = readPid(paths.labdPid());
  return s.phase === 'up' && d !== null && alive(d) && labNamespaces().length === s.boxes.length + 3 && s.boxes.every((b) => initPid(b) !== null);
}

export async function up(o: UpOptions): Promise<{ already: boolean; seconds: number }> {
  assertCanRun();
  const opts = validateUp(o);
  const t0 = performance.now();
  // Each step says when it started, so a slow up shows where its time went.
  const say = (m: string) => o.progress?.(`${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${m}`);
  return withLock(async () => {
    let cur: LabState | null = null;
    try {
      cur = readState();
    } catch {
      cur = null;
    }
    if (cur && healthy(cur)) {
      const same = JSON.stringify(cur.options) === JSON.stringify(opts);
      if (same) return { already: true, seconds: 0 };
      throw new FieldlinkError(
        'CONFLICT',
        `The lab is already up with ${cur.options.boxes} boxes (${cur.options.provisioned} provisioned, scenario ${cur.options.scenario}); run fieldlink-lab down first to change it.`,
      );
    }
    if (cur || labNamespaces().length > 0 || fs.existsSync(labDir())) {
      say('cleaning up what an earlier lab left behind');
      await teardown();
    }
    try {
      await build(opts, say, o.signal);
    } catch (e) {
      say('up failed; removing the half-built lab');
      await teardown().catch(() => {});
      throw e;
    }
    return { already: false, seconds: (performance.now() - t0) / 1000 };
  });
}

async function build(opts: ReturnType<typeof validateUp>, say: (m: string) => void, signal?: AbortSignal): Promise<void> {
  const dir = labDir();
  await mountStateDir(dir, signal);
  const indices = Array.from({ length: opts.boxes }, (_, i) => i + 1);
  const boxes = indices.map((n) => makeBox(n, { baud: opts.baud, provisioned: n <= opts.provisioned }));
  const state: LabState = { version: 1, phase: 'building', createdAt: new Date().toISOString(), options: opts, boxes };
  // Recorded first, so a crash from here on leaves enough for the next `up` or `down` to clean.
  writeState(state);

  say(`network: ${opts.boxes} box namespaces, the LAN bridge, the technician and the uplink`);
  await createTopology(indices, signal);

  say('box folders: a disk each, private /etc, host keys, label passwords');
  await mountBoxDisks(
    boxes.map((b) => paths.box(b.name)),
    signal,
  );
  const hashes = await hashPasswords(
    boxes.map((b) => b.password),
    signal,
  );
  // In-process file work (no tool runs), so one box after the other.
  boxes.forEach((b, i) => {
    if (signal?.aborted) throw new FieldlinkError('ABORTED', 'Cancelled while making the box folders.');
    prepareBox(b, hashes[i]!, opts.scenario);
    if (b.provisionedAtUp) provisionBoxFiles(b);
  });
  writeArtifacts();

  const hub = path.join(LAB_SRC, 'kube', 'hub.ts');
  if (fs.existsSync(hub)) {
    say('Kubernetes API hub');
    startDaemon(NODE_BIN, [hub, '--state', dir], { log: paths.hubLog(), pidFile: paths.hubPid(), cwd: REPO_ROOT });
  }

  say('booting boxes');
  await pool(boxes, 4, (b) => bootBox(b, signal));

  // Avahi needs about a second to probe its name; the consoles start meanwhile.
  const mdns = run('ip', ['netns', 'exec', NS.tech, NODE_BIN, path.join(LAB_SRC, 'net', 'mdns-probe.ts'), '30000', ...boxes.map((b) => b.serial)], {
    timeoutMs: 40_000,
    allowFail: true,
    signal,
  });
  say('serial consoles');
  startDaemon(NODE_BIN, [path.join(LAB_SRC, 'console', 'labd.ts')], { log: paths.labdLog(), pidFile: paths.labdPid(), cwd: REPO_ROOT });
  await waitFor(
    async () => {
      try {
        await labd({ op: 'ping' }, 2000);
        return true;
      } catch {
        return false;
      }
    },
    20_000,
    'the lab daemon did not start; see ' + paths.labdLog(),
  );
  await waitFor(async () => boxes.every((b) => fs.existsSync(paths.consoleLink(b.serial))), 20_000, 'serial consoles did not appear');
  say('waiting for every box to answer mDNS in the technician namespace');
  const probe = await mdns;
  if (probe.code !== 0) throw new FieldlinkError('TIMEOUT', `Boxes did not answer mDNS: ${probe.stderr.trim()}`);
  if (fs.existsSync(hub)) {
    // Suites start with kubectl right after up: the provisioned boxes' API must answer by then.
    const servers = boxes.filter((b) => b.provisionedAtUp);
    await waitFor(
      () => servers.every((b) => fs.existsSync(path.join(paths.box(b.name), 'k3s', 'api.sock'))),
      60_000,
      'the Kubernetes API hub did not serve every provisioned box; see ' + paths.hubLog(),
    );
  }
  writeState({ ...state, phase: 'up' });
}

/** What a provisioner copies to a box: the lab's k3s stand-in and the airgap installer (lab/kube/). */
function writeArtifacts(): void {
  const dir = paths.artifacts();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'k3s'), k3sScript(), { mode: 0o755 });
  const install = path.join(LAB_SRC, 'kube', 'install.sh');
  if (fs.existsSync(install)) fs.copyFileSync(install, path.join(dir, 'install.sh'));
}

export async function down(): Promise<{ wasUp: boolean }> {
  assertCanRun();
  return withLock(async () => {
    const wasUp = fs.existsSync(labDir()) || labNamespaces().length > 0;
    await teardown();
    return { wasUp };
  });
}

/**
 * Removes exactly what the lab made: its daemons (by their recorded process groups), every process
 * inside its namespaces, the namespaces (and with them veths, bridge, qdiscs), then the state folder.
 * Works from a damaged or half-written state too, since crashed runs are what it cleans up after.
 */
export async function teardown(): Promise<void> {
  let s: LabState | null = null;
  try {
    s = readState();
  } catch {
    s = null;
  }
  await stopDaemon(paths.labdPid());
  await stopDaemon(paths.hubPid());
  const boxes: BoxRecord[] = s?.boxes ?? [];
  await pool(boxes, 8, (b) => killBox(b).catch(() => {}));
  // Anything else still inside a lab namespace (a test's ssh, a `tech` shell) goes too.
  const inodes = new Set<string>();
  for (const ns of labNamespaces()) {
    try {
      inodes.add(`net:[${fs.statSync(`/run/netns/${ns}`).ino}]`);
    } catch {
      /* gone */
    }
  }
  if (inodes.size > 0) {
    for (let i = 0; i < 40; i++) {
      const left = allPids().filter((p) => p !== process.pid && inodes.has(nsOf(p, 'net') ?? ''));
      if (left.length === 0) break;
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await destroyTopology();
  await removeStateDir();
}

/** The source name of the lab's own tmpfs in the mount table: how down knows the mount is the lab's. */
const STATE_FS = 'fieldlink-lab';

/**
 * The lab's state folder is a tmpfs of its own, whatever /run is on this machine: 50 boxes make
 * about 20 000 files at every up, and on ext4 (as here) creating them right after a down deleted
 * as many cost more CPU than booting the boxes. Capped, so a runaway box cannot fill the machine's RAM.
 */
async function mountStateDir(dir: string, signal?: AbortSignal): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await run('mount', ['-t', 'tmpfs', '-o', 'mode=0700,size=25%', STATE_FS, dir], { signal });
}

async function removeStateDir(): Promise<void> {
  const dir = labDir();
  if (!fs.existsSync(dir)) return;
  await unmountBoxDisks(dir);
  const under = mountsUnder(dir);
  if (under.some((m) => m.target === dir && m.source === STATE_FS && m.type === 'tmpfs') && under.length === 1) {
    // Lazy: a shell left sitting in the folder must not make down fail.
    await run('umount', ['--lazy', dir]);
  }
  // Never delete through a mount: if anything else is still mounted under the folder, stop and say so.
  const left = mountsUnder(dir);
  if (left.length > 0) throw new FieldlinkError('CONFLICT', `Still mounted under the lab folder: ${left.map((m) => m.target).join(', ')}; unmount them, then run down again.`);
  fs.rmSync(dir, { recursive: true, force: true });
}

function mountsUnder(dir: string): MountEntry[] {
  return mountTable().filter((m) => m.target === dir || m.target.startsWith(dir + '/'));
}

export function findBox(s: LabState, name: string): BoxRecord {
  const b = s.boxes.find((x) => x.name === name);
  if (!b) {
    const hint = boxIndex(name) === null ? ' Box names look like box-01.' : '';
    throw new FieldlinkError('NOT_FOUND', `No box named "${name}" in this lab (it has ${s.boxes.map((x) => x.name).join(', ') || 'none'}).${hint}`);
  }
  return b;
}

export function requireUp(): LabState {
  const s = readState();
  if (!s || s.phase !== 'up') throw new FieldlinkError('CONFLICT', 'The lab is not up; run fieldlink-lab up --boxes N first.');
  return s;
}

export async function status(opts: { memory?: boolean } = {}): Promise<LabStatus> {
  // The state folder is root's (it holds the label passwords): without root it would look empty.
  assertCanRun();
  let s: LabState | null = null;
  try {
    s = readState();
  } catch {
    s = null;
  }
  const installSh = path.join(paths.artifacts(), 'install.sh');
  const base: LabStatus = {
    up: false,
    dir: labDir(),
    tech: { ns: NS.tech, ip: TECH_IP, uplinkIp: UPLINK_TECH_IP },
    collector: { ns: NS.cloud, ip: COLLECTOR_IP, url: `http://${COLLECTOR_IP}:${COLLECTOR_PORT}` },
    options: s?.options ?? null,
    daemons: { labd: false, kubeHub: null },
    links: null,
    artifacts: { dir: paths.artifacts(), installSh: fs.existsSync(installSh) ? installSh : null, k3s: path.join(paths.artifacts(), 'k3s') },
    boxes: [],
  };
  if (!s) return base;
  const labdPid = readPid(paths.labdPid());
  const hubPid = readPid(paths.hubPid());
  base.daemons = { labd: labdPid !== null && alive(labdPid), kubeHub: fs.existsSync(path.join(LAB_SRC, 'kube', 'hub.ts')) ? hubPid !== null && alive(hubPid) : null };
  base.up = s.phase === 'up' && base.daemons.labd;
  if (labNamespaces().includes(NS.tech)) base.links = { uplink: await linkState('uplink'), lan: await linkState('lan') };
  let consoles: Record<string, { plugged: boolean }> = {};
  if (base.daemons.labd) {
    try {
      consoles = (await labd({ op: 'status' }, 5000)).consoles ?? {};
    } catch {
      consoles = {};
    }
  }
  base.boxes = s.boxes.map((b) => boxStatus(b, consoles[b.name]?.plugged ?? false, opts.memory !== false));
  return base;
}

function boxStatus(b: BoxRecord, plugged: boolean, memory: boolean): BoxStatus {
  const dir = paths.box(b.name);
  const wants = path.join(dir, 'etc', 'systemd', 'system', 'multi-user.target.wants');
  // The links point at paths inside the box, so test the link itself, not its target.
  const provisioned = lexists(path.join(wants, 'k3s.service')) || lexists(path.join(wants, 'k3s-agent.service'));
  const on = initPid(b) !== null;
  const installed = fs.existsSync(path.join(dir, 'usr-local-bin', 'k3s'));
  // Running means served: the box asked for k3s (server.json) and the hub answers on its socket.
  const api = !installed ? 'none' : on && fs.existsSync(path.join(dir, 'k3s', 'server.json')) && fs.existsSync(path.join(dir, 'k3s', 'api.sock')) ? 'running' : 'stopped';
  const kubeconfig = path.join(dir, 'etc', 'rancher', 'k3s', 'k3s.yaml');
  let hostname = b.name;
  try {
    hostname = fs.readFileSync(path.join(dir, 'etc', 'hostname'), 'utf8').trim();
  } catch {
    /* keep the name */
  }
  return {
    name: b.name,
    ns: b.ns,
    serial: b.serial,
    model: b.model,
    vendor: b.vendor,
    arch: b.arch,
    ip: b.ip,
    mac: b.mac,
    network: b.network,
    clockOffsetS: clockOffset(b.name),
    disk: diskUsage(dir),
    hostname,
    machineId: b.machineId,
    password: b.password,
    console: paths.consoleLink(b.serial),
    consolePlugged: plugged,
    baud: b.baud,
    state: provisioned ? 'provisioned' : 'factory',
    power: on ? 'on' : 'off',
    api,
    kubeconfig: fs.existsSync(kubeconfig) ? kubeconfig : null,
    memoryKiB: memory && on ? boxMemoryKiB(b) : 0,
    hostKeys: hostKeys(path.join(dir, 'etc')),
  };
}

function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

export async function reboot(name: string): Promise<void> {
  assertCanRun();
  const s = requireUp();
  findBox(s, name);
  await labd({ op: 'reboot', box: name }, 90_000);
}

/**
 * Sets how far the box's clock is from the build machine's (seconds, + ahead): what `date` and
 * `timedatectl` on the box show, until the box's clock is set (lab/box/files/date).
 */
export function setClock(name: string, offsetS: number): void {
  assertCanRun();
  const s = requireUp();
  findBox(s, name);
  if (!Number.isInteger(offsetS) || Math.abs(offsetS) > 20 * 365 * 86_400)
    throw new FieldlinkError('BAD_REQUEST', 'The clock offset is whole seconds, at most 20 years either way.');
  const file = clockFile(name);
  fs.writeFileSync(`${file}.tmp`, `${offsetS}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** A full disk: every write on the box fails with ENOSPC until it is freed again. */
export async function setDisk(name: string, full: boolean): Promise<DiskUsage> {
  assertCanRun();
  const s = requireUp();
  findBox(s, name);
  return setDiskFull(paths.box(name), full);
}

const clockFile = (name: string) => path.join(paths.box(name), 'etc', 'fieldlink-lab', 'clock-offset');

function clockOffset(name: string): number {
  try {
    const n = Number(fs.readFileSync(clockFile(name), 'utf8').trim());
    return Number.isInteger(n) ? n : 0;
  } catch {
    return 0;
  }
}

export async function cable(name: string, plug: boolean): Promise<void> {
  assertCanRun();
  const s = requireUp();
  findBox(s, name);
  await labd({ op: plug ? 'plug' : 'unplug', box: name });
}

export async function setNoise(seconds: number): Promise<void> {
  assertCanRun();
  requireUp();
  if (!(seconds >= 0)) throw new FieldlinkError('BAD_REQUEST', 'The console noise is the mean seconds between kernel messages, 0 for none.');
  await labd({ op: 'noise', seconds });
}

export { run };
