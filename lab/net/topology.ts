import fs from 'node:fs';
import path from 'node:path';
import { run, pool } from '../exec.ts';
import { alive, startDaemon, stopDaemon, waitFor } from '../daemons.ts';
import { BRIDGE, COLLECTOR_IP, LAB_SRC, NS, NS_PREFIX, TECH_IP, UPLINK_TECH_IP, labDir, pad2 } from '../config.ts';

/** Ends of the two links a technician can shape or cut: [namespace, interface]. */
export const LINKS = {
  // The technician's own end first; the far end is what `--down` unplugs, like pulling the cable
  // at the switch: the laptop keeps its address and sees NO-CARRIER, as on a real site.
  uplink: { near: [NS.tech, 'uplink'], far: [NS.cloud, 'eth0'] },
  lan: { near: [NS.tech, 'eth0'], far: [NS.lan, 'tech'] },
} as const;
export type LinkName = keyof typeof LINKS;

export function boxMac(n: number): string {
  // 02:f1:4b:ff:… is the technician; boxes take 02:f1:4b:00:HH:LL from their number.
  return `02:f1:4b:00:${pad2(Math.floor(n / 100))}:${pad2(n % 100)}`;
}

const LAB_NS = /^fl-(lan|tech|cloud|box-\d{2,3})$/;

/** Namespaces this lab made (exact names only, never a prefix match on someone else's). */
export function labNamespaces(): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync('/run/netns');
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(NS_PREFIX) && LAB_NS.test(n));
}

export async function createTopology(boxes: number[], signal?: AbortSignal): Promise<void> {
  const all = [NS.lan, NS.tech, NS.cloud, ...boxes.map((n) => NS.box(n))];
  await pool(all, 8, (ns) => run('ip', ['netns', 'add', ns], { signal, timeoutMs: 10_000 }));

  // The bridge lives in its own namespace so the root namespace never gets an interface or route
  // into the lab. Snooping off: mDNS must flood to every port like a dumb site switch does.
  const lan = [
    `link add ${BRIDGE} type bridge mcast_snooping 0`,
    `link set ${BRIDGE} up`,
    `link set lo up`,
    `link add tech type veth peer name eth0 address 02:f1:4b:ff:00:02 netns ${NS.tech}`,
    `link set tech master ${BRIDGE}`,
    `link set tech up`,
    ...boxes.flatMap((n) => [
      `link add b${pad2(n)} type veth peer name eth0 address ${boxMac(n)} netns ${NS.box(n)}`,
      `link set b${pad2(n)} master ${BRIDGE}`,
      `link set b${pad2(n)} up`,
    ]),
  ];
  await run('ip', ['-n', NS.lan, '-batch', '-'], { input: lan.join('\n') + '\n', signal, timeoutMs: 30_000 });

  await run('ip', ['-n', NS.tech, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS.cloud], { signal });
  const tech = [
    'link set lo up',
    `addr add ${TECH_IP}/24 dev eth0`,
    'link set eth0 up',
    // Without this route multicast has nowhere to go and mDNS queries fail with ENETUNREACH.
    'route add 224.0.0.0/4 dev eth0',
    `addr add ${UPLINK_TECH_IP}/30 dev uplink`,
    'link set uplink up',
  ];
  await run('ip', ['-n', NS.tech, '-batch', '-'], { input: tech.join('\n') + '\n', signal });
  const cloud = ['link set lo up', `addr add ${COLLECTOR_IP}/30 dev eth0`, 'link set eth0 up'];
  await run('ip', ['-n', NS.cloud, '-batch', '-'], { input: cloud.join('\n') + '\n', signal });
}

/** Deletes every lab namespace; their veths, bridge, addresses and qdiscs go with them. */
export async function destroyTopology(): Promise<void> {
  await pool(labNamespaces(), 8, (ns) => run('ip', ['netns', 'del', ns], { allowFail: true, timeoutMs: 10_000 }));
}

export interface Shape {
  delayMs?: number;
  lossPct?: number;
  rate?: string;
}

export interface LinkState {
  up: boolean;
  delayMs: number | null;
  lossPct: number | null;
  rate: string | null;
}

/**
 * Shapes or cuts a link. netem is used where the kernel has it; this lab's build machines run a
 * kernel without sch_netem, so there the same shape is made from what it does have: iptables
 * `statistic` drops for loss, tbf for rate, and an NFQUEUE delay line (delayline.py) for delay.
 */
export async function setLink(name: LinkName, opts: { up?: boolean; shape?: Shape | null }): Promise<void> {
  const ends = LINKS[name];
  if (opts.shape !== undefined) {
    await clearShape(name);
    if (opts.shape !== null) {
      if (await netemAvailable()) await applyNetem(name, opts.shape);
      else await applyFallback(name, opts.shape);
      fs.writeFileSync(shapeFile(name), JSON.stringify(opts.shape));
    }
  }
  if (opts.up !== undefined) {
    const [ns, dev] = ends.far;
    await run('ip', ['-n', ns, 'link', 'set', dev, opts.up ? 'up' : 'down']);
  }
}

let netem: boolean | null = null;
async function netemAvailable(): Promise<boolean> {
  if (netem !== null) return netem;
  const [ns] = LINKS.uplink.near;
  // Probed on the loopback of a lab namespace, never on the machine's own interfaces.
  const r = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '0ms'], { allowFail: true });
  netem = r.code === 0;
  if (netem) await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root'], { allowFail: true });
  return netem;
}

async function applyNetem(name: LinkName, shape: Shape): Promise<void> {
  for (const [ns, dev] of [LINKS[name].near, LINKS[name].far]) {
    const args = ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem'];
    // netem shapes egress only, so both ends get the same rule: delay then counts each way, as a
    // slow or lossy link does.
    if (shape.delayMs !== undefined) args.push('delay', `${shape.delayMs}ms`);
    if (shape.lossPct !== undefined) args.push('loss', `${shape.lossPct}%`);
    if (shape.rate !== undefined) args.push('rate', shape.rate);
    // A big queue so a rate limit delays traffic instead of dropping it at the first burst.
    args.push('limit', '10000');
    await run('ip', args);
  }
}

const QUEUE = { uplink: 1, lan: 2 } as const;
const ipt = (ns: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, 'iptables-legacy', '-w', ...args], { allowFail: true });

async function applyFallback(name: LinkName, shape: Shape): Promise<void> {
  const [ns, dev] = LINKS[name].near;
  const chainIn = `fl-${name}-in`;
  const chainOut = `fl-${name}-out`;
  for (const [chain, hook, flag] of [
    [chainIn, 'INPUT', '-i'],
    [chainOut, 'OUTPUT', '-o'],
  ] as const) {
    await ipt(ns, '-N', chain);
    if ((await ipt(ns, '-C', hook, flag, dev, '-j', chain)).code !== 0) await ipt(ns, '-A', hook, flag, dev, '-j', chain);
    if (shape.lossPct !== undefined && shape.lossPct > 0) {
      const r = await ipt(ns, '-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(shape.lossPct / 100), '-j', 'DROP');
      if (r.code !== 0) throw new Error(`iptables statistic drop failed: ${r.stderr.trim()}`);
    }
  }
  if (shape.delayMs !== undefined && shape.delayMs > 0) {
    // The whole round trip is added on the way out: a receive-side delay would come after the
    // kernel timestamps the packet, so ping (and TCP's RTT) would not see it.
    // The delay line binds its queue first; only then is traffic sent to it, so no packet slips
    // through undelayed (--queue-bypass) while it starts.
    const log = path.join(labDir(), `delay-${name}.log`);
    const from = fs.existsSync(log) ? fs.statSync(log).size : 0;
    const pid = startDaemon('ip', ['netns', 'exec', ns, 'python3', path.join(LAB_SRC, 'net', 'delayline.py'), String(QUEUE[name]), String(shape.delayMs * 2)], {
      log,
      pidFile: delayPid(name),
    });
    await waitForReady(log, from, pid);
    const r = await ipt(ns, '-A', chainOut, '-j', 'NFQUEUE', '--queue-num', String(QUEUE[name]), '--queue-bypass');
    if (r.code !== 0) throw new Error(`iptables NFQUEUE failed: ${r.stderr.trim()}`);
  }
  if (shape.rate !== undefined) {
    for (const [ens, edev] of [LINKS[name].near, LINKS[name].far]) {
      await run('ip', ['netns', 'exec', ens, 'tc', 'qdisc', 'replace', 'dev', edev, 'root', 'tbf', 'rate', shape.rate, 'burst', '32kb', 'latency', '5s']);
    }
  }
}

/** Waits for the delay line's "ready" line in its log (written after `from`); a dead delay line ends the wait at once. */
function waitForReady(log: string, from: number, pid: number): Promise<void> {
  return waitFor(
    () => {
      const text = fs.readFileSync(log).subarray(from).toString('utf8');
      if (/^delayline: ready/m.test(text)) return true;
      if (!alive(pid)) throw new Error(`the delay line did not start: ${text.trim().slice(-500) || 'no output'}`);
      return false;
    },
    10_000,
    `the delay line did not bind its queue (see ${log})`,
  );
}

async function clearShape(name: LinkName): Promise<void> {
  for (const [ns, dev] of [LINKS[name].near, LINKS[name].far]) {
    await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root'], { allowFail: true });
  }
  const [ns] = LINKS[name].near;
  await ipt(ns, '-F', `fl-${name}-in`);
  await ipt(ns, '-F', `fl-${name}-out`);
  await stopDaemon(delayPid(name));
  fs.rmSync(shapeFile(name), { force: true });
}

const shapeFile = (name: LinkName) => path.join(labDir(), `net-${name}.json`);
const delayPid = (name: LinkName) => path.join(labDir(), `delay-${name}.pid`);

export async function linkState(name: LinkName): Promise<LinkState> {
  const [ns, dev] = LINKS[name].near;
  const [fns, fdev] = LINKS[name].far;
  const link = await run('ip', ['-n', fns, '-o', 'link', 'show', 'dev', fdev], { allowFail: true });
  // What the kernel has in place: netem or tbf on the near end (the delay line has no qdisc).
  const q = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'show', 'dev', dev], { allowFail: true });
  const qd = q.stdout.split('\n').find((l) => / (netem|tbf) /.test(l)) ?? '';
  let recorded: Shape = {};
  try {
    recorded = JSON.parse(fs.readFileSync(shapeFile(name), 'utf8')) as Shape;
  } catch {
    recorded = {};
  }
  const rate = /rate (\S+)/.exec(qd);
  return {
    up: /[<,]UP[,>]/.test(link.stdout) && !link.stdout.includes('state DOWN'),
    delayMs: recorded.delayMs ?? null,
    lossPct: recorded.lossPct ?? null,
    rate: rate ? rate[1]! : null,
  };
}
