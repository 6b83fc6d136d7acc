import fs from 'node:fs';
import { run, pool } from '../exec.ts';
import { BRIDGE, COLLECTOR_IP, NS, NS_PREFIX, TECH_IP, UPLINK_TECH_IP, pad2 } from '../config.ts';

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

export async function setLink(name: LinkName, opts: { up?: boolean; shape?: Shape | null }): Promise<void> {
  const ends = LINKS[name];
  if (opts.shape !== undefined) {
    for (const [ns, dev] of [ends.near, ends.far]) {
      if (opts.shape === null) {
        await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root'], { allowFail: true });
        continue;
      }
      const args = ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem'];
      // netem shapes egress only, so both ends get the same rule: delay then counts each way, as a
      // slow or lossy link does.
      if (opts.shape.delayMs !== undefined) args.push('delay', `${opts.shape.delayMs}ms`);
      if (opts.shape.lossPct !== undefined) args.push('loss', `${opts.shape.lossPct}%`);
      if (opts.shape.rate !== undefined) args.push('rate', opts.shape.rate);
      // A big queue so a rate limit delays traffic instead of dropping it at the first burst.
      args.push('limit', '10000');
      await run('ip', args);
    }
  }
  if (opts.up !== undefined) {
    const [ns, dev] = ends.far;
    await run('ip', ['-n', ns, 'link', 'set', dev, opts.up ? 'up' : 'down']);
  }
}

export async function linkState(name: LinkName): Promise<LinkState> {
  const [ns, dev] = LINKS[name].near;
  const [fns, fdev] = LINKS[name].far;
  const link = await run('ip', ['-n', fns, '-o', 'link', 'show', 'dev', fdev], { allowFail: true });
  const q = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'show', 'dev', dev], { allowFail: true });
  const netem = q.stdout.split('\n').find((l) => l.includes('netem')) ?? '';
  const delay = /delay ([\d.]+)(us|ms|s)\b/.exec(netem);
  const loss = /loss ([\d.]+)%/.exec(netem);
  const rate = /rate (\S+)/.exec(netem);
  const toMs = (v: number, u: string) => (u === 'us' ? v / 1000 : u === 's' ? v * 1000 : v);
  return {
    up: /[<,]UP[,>]/.test(link.stdout) && !link.stdout.includes('state DOWN'),
    delayMs: delay ? toMs(Number(delay[1]), delay[2]!) : null,
    lossPct: loss ? Number(loss[1]) : null,
    rate: rate ? rate[1]! : null,
  };
}
