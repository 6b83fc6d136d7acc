import { FieldlinkError } from '../../../shared/errors.ts';
import type { Shell } from '../transport/index.ts';
import { describeNetwork, networkFiles, type Manager, type NetworkFiles } from './network-files.ts';
import type { Profile } from './profile.ts';
import { factsOf, readKeyValues, run, sha256Hex, shq, type Step, type StepContext } from './steps.ts';

/*
 * The box's address, set with the network manager the box runs, under a rollback timer armed on
 * the box before anything changes: unless Fieldlink reaches the box again and confirms within the
 * window, the box puts back the files it had and applies them by itself. So a wrong address, a VLAN
 * the switch port does not carry, or a DHCP server that does not answer cannot strand a box in a
 * tower: the technician gets it back, with a clear error, without the cable.
 */
type Configured = Exclude<Profile['network'], { mode: 'keep' }>;

/** The box runs the new settings this long before it would put the old ones back by itself. */
export const ROLLBACK_AFTER_S = 30;
/** How long Fieldlink tries to reach the box on its new settings before it waits for the rollback. */
const CONFIRM_WITHIN_MS = 15_000;
/** After the rollback fires: how long Fieldlink tries to reach the box on its old settings. */
const BACK_WITHIN_MS = 30_000;
const STATE = '/var/lib/fieldlink/network';

interface NetworkState {
  /** Interface the profile names, or the one with the default route, or the one we reach the box on. */
  iface: string;
  /** The address an SSH session reaches the box at (empty over a cable). */
  reachedAt: string;
  /** name -> sha256 of the folder's link files now. */
  files: Map<string, string>;
  /** Global IPv4 addresses per link, as `ip` shows them. */
  addresses: Map<string, string[]>;
  gateway: string;
}

function configured(ctx: StepContext): Configured | null {
  const net = ctx.profile.network;
  return net.mode === 'keep' ? null : net;
}

function managerOf(ctx: StepContext, net: Configured): Manager {
  const m = factsOf(ctx).networkManager;
  if (m === 'none')
    throw new FieldlinkError(
      'BAD_REQUEST',
      `The profile sets the network (${net.mode}), but the box runs none of netplan, NetworkManager or systemd-networkd; nothing was changed. Use network: { mode: keep } for this box.`,
    );
  return m;
}

async function readState(ctx: StepContext, dir: string, patterns: string): Promise<NetworkState> {
  const script = [
    'set -- ${SSH_CONNECTION:-}; echo "reached=${3:-}"',
    `echo "route_if=$(ip -4 route show default 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1)"`,
    `echo "gateway=$(ip -4 route show default 2>/dev/null | sed -n 's/.* via \\([^ ]*\\).*/\\1/p' | head -n 1)"`,
    `ip -4 -o addr show scope global 2>/dev/null | awk '{ print "addr=" $2 " " $4 }'`,
    `cd ${dir} 2>/dev/null && for f in ${patterns}; do [ -f "$f" ] && echo "file=$(sha256sum "$f" | cut -c1-64) $f"; done; true`,
  ].join('\n');
  const out = await run(ctx, 'report its network settings', script);
  const kv = readKeyValues(out);
  const addresses = new Map<string, string[]>();
  const files = new Map<string, string>();
  for (const line of out.split('\n').slice(0, 256)) {
    const a = /^addr=(\S+) (\S+)$/.exec(line);
    if (a) addresses.set(a[1]!.replace(/@.*/, ''), [...(addresses.get(a[1]!.replace(/@.*/, '')) ?? []), a[2]!]);
    const f = /^file=([0-9a-f]{64}) (\S+)$/.exec(line);
    if (f) files.set(f[2]!, f[1]!);
  }
  const reachedAt = kv.get('reached') ?? '';
  const byReach = [...addresses].find(([, list]) => list.some((a) => a.split('/')[0] === reachedAt))?.[0];
  const iface = interfaceOf(ctx) ?? (kv.get('route_if') || byReach || [...addresses.keys()][0] || 'eth0');
  return { iface, reachedAt, files, addresses, gateway: kv.get('gateway') ?? '' };
}

const interfaceOf = (ctx: StepContext) => configured(ctx)?.interface ?? null;

interface Plan {
  net: Configured;
  want: NetworkFiles;
  now: NetworkState;
  drift: string[];
}

async function plan(ctx: StepContext): Promise<Plan | null> {
  const net = configured(ctx);
  if (!net) return null;
  const manager = managerOf(ctx, net);
  const probe = networkFiles(manager, net, interfaceOf(ctx) ?? 'eth0');
  const now = await readState(ctx, probe.dir, probe.replaces);
  const want = networkFiles(manager, net, now.iface);
  refuseMove(ctx, net, now);
  return { net, want, now, drift: driftOf(net, want, now) };
}

/**
 * Over SSH the box must stay at the address we reach it on: a new address would need the laptop to
 * find it there and to trust its host key at that address, which is for the cable to do.
 */
function refuseMove(ctx: StepContext, net: Configured, now: NetworkState): void {
  if (ctx.shell.kind !== 'ssh' || net.mode !== 'static' || !now.reachedAt) return;
  const ip = net.address.split('/')[0];
  if (ip !== now.reachedAt)
    throw new FieldlinkError(
      'BAD_REQUEST',
      `The profile gives the box ${net.address}, but Fieldlink reaches it at ${now.reachedAt} over the LAN; nothing was changed. To move a box to a new address, provision it over its serial cable.`,
    );
}

function driftOf(net: Configured, want: NetworkFiles, now: NetworkState): string[] {
  const drift: string[] = [];
  const same = want.files.length === now.files.size && want.files.every((f) => now.files.get(f.name) === sha256Hex(f.content));
  if (!same) {
    const had = [...now.files.keys()].join(', ') || 'none';
    drift.push(`network files in ${want.dir}: ${had} -> ${want.files.map((f) => f.name).join(', ')} (${describeNetwork(net, want.link)})`);
  }
  const live = now.addresses.get(want.link) ?? [];
  if (net.mode === 'static' && !live.includes(net.address)) drift.push(`${want.link}: ${live.join(' ') || 'no address'} -> ${net.address}`);
  if (net.mode === 'static' && now.gateway !== net.gateway) drift.push(`default gateway: ${now.gateway || 'none'} -> ${net.gateway}`);
  if (net.mode === 'dhcp' && live.length === 0) drift.push(`${want.link}: no address -> an address by DHCP`);
  return drift;
}

export const networkStep: Step<Plan | null> = {
  id: 'network',
  title: 'Set the network',
  async check(ctx) {
    const p = await plan(ctx);
    return p ? { done: p.drift.length === 0, drift: p.drift, state: p } : { done: true };
  },
  async apply(ctx, progress, checked) {
    const p = checked?.state ?? (await plan(ctx));
    if (!p) return;
    const token = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    progress(`${describeNetwork(p.net, p.want.link)}; the box puts its old settings back by itself unless Fieldlink confirms within ${ROLLBACK_AFTER_S} s`);
    await run(ctx, 'arm the network rollback and apply the new settings', armAndApply(p.want, token));
    if (await reachable(ctx, p, CONFIRM_WITHIN_MS)) {
      const r = await run(ctx, 'confirm the new network settings', confirm(token));
      if (r.trim() !== 'confirmed') throw new FieldlinkError('REMOTE_FAILED', 'The box put its old network settings back before Fieldlink could confirm the new ones.');
      progress('Reached the box on its new settings; rollback cancelled');
      return;
    }
    await cutOff(ctx, p, token, progress);
  },
  async verify(ctx) {
    const p = await plan(ctx);
    if (p && p.drift.length > 0) throw new FieldlinkError('REMOTE_FAILED', `The network settings did not take: ${p.drift.join('; ')}.`);
  },
};

/**
 * Keeps the folder as it is, writes the new files, and leaves two jobs on the box, each in its own
 * session so they outlive a session the new address may cut: the apply a second on (the command
 * returns first), and the rollback that puts the folder back unless the token was confirmed.
 */
function armAndApply(want: NetworkFiles, token: string): string {
  const rollback = `sleep ${ROLLBACK_AFTER_S}; ${rollbackNow(want, token).replaceAll('\n', '; ')}`;
  return [
    'set -e',
    `rm -rf ${STATE}/pending && mkdir -p ${STATE}/pending ${want.dir}`,
    `cp -a ${want.dir} ${STATE}/pending/previous`,
    `echo ${token} > ${STATE}/pending/token`,
    `cd ${want.dir} && for f in ${want.replaces}; do [ -f "$f" ] && rm -f -- "$f"; done; true`,
    ...want.files.map((f) => `printf '%s' ${shq(f.content)} > ${want.dir}/${f.name} && chmod 600 ${want.dir}/${f.name}`),
    `setsid sh -c ${shq(rollback)} </dev/null >/dev/null 2>&1 &`,
    `setsid sh -c ${shq(`sleep 1; ${want.apply}`)} </dev/null >${STATE}/pending/apply.log 2>&1 &`,
  ].join('\n');
}

/** Moves the pending change aside before the rollback job looks, so the job finds nothing to undo. */
function confirm(token: string): string {
  return [
    `[ "$(cat ${STATE}/pending/token 2>/dev/null)" = ${token} ] || exit 0`,
    `rm -rf ${STATE}/previous ${STATE}/confirming && mv ${STATE}/pending ${STATE}/confirming`,
    `mv ${STATE}/confirming/previous ${STATE}/previous && rm -rf ${STATE}/confirming && echo confirmed`,
  ].join('\n');
}

/**
 * Whether the box answers on its new settings: over a cable, that the link has its address (the
 * cable itself always works); over SSH, a command on the session we have, or on a new one once the
 * change has cut that.
 */
async function reachable(ctx: StepContext, p: Plan, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  await pause(ctx, 2500);
  while (Date.now() < deadline) {
    if (ctx.shell.kind === 'serial') {
      if (await hasAddress(ctx.shell, p, ctx.signal)) return true;
    } else if (await answers(ctx)) return true;
    await pause(ctx, 1000);
  }
  return false;
}

async function hasAddress(shell: Shell, p: Plan, signal?: AbortSignal): Promise<boolean> {
  const want = p.net.mode === 'static' ? p.net.address : '';
  const r = await shell.exec(`ip -4 -o addr show dev ${shq(p.want.link)} scope global 2>/dev/null`, { timeoutMs: 10_000, signal });
  const out = Buffer.from(r.stdout).toString('utf8');
  return want ? out.includes(` ${want} `) : /inet \d/.test(out);
}

/** A command on the current session, else a fresh session in its place (the old one is closed). */
async function answers(ctx: StepContext): Promise<boolean> {
  try {
    const r = await ctx.shell.exec('true', { timeoutMs: 3000, signal: ctx.signal });
    if (r.code === 0) return true;
  } catch {
    // The session is gone or stuck: try a new one.
  }
  if (!ctx.reopen) return false;
  try {
    const fresh = await ctx.reopen();
    const old = ctx.shell;
    ctx.shell = fresh;
    await old.close().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** The box did not answer on its new settings: wait for its own rollback, find it again, and say so. */
async function cutOff(ctx: StepContext, p: Plan, token: string, progress: (m: string) => void): Promise<never> {
  const what = describeNetwork(p.net, p.want.link);
  if (ctx.shell.kind === 'serial') {
    // The cable still works: undo now rather than wait for the timer.
    progress('The box has no address on its new settings; putting the old ones back now');
    await run(ctx, 'put its old network settings back', rollbackNow(p.want, token));
    throw new FieldlinkError('REMOTE_FAILED', `The new network settings (${what}) left the box without an address; they were rolled back and the box has its old settings again.`);
  }
  progress(`Cannot reach the box on its new settings; waiting for it to put its old ones back (up to ${ROLLBACK_AFTER_S} s)`);
  await pause(ctx, ROLLBACK_AFTER_S * 1000 - CONFIRM_WITHIN_MS + 3000);
  if (!(await reachable(ctx, p, BACK_WITHIN_MS))) {
    throw new FieldlinkError(
      'LINK_DOWN',
      `The new network settings (${what}) cut the box off, and it did not answer again after its rollback time. Its old settings are kept on the box in ${STATE}; reach it over its serial cable.`,
    );
  }
  const rolled = (await run(ctx, 'report its network rollback', `cat ${STATE}/rolled-back/token 2>/dev/null; true`)).trim();
  throw new FieldlinkError(
    'REMOTE_FAILED',
    rolled === token
      ? `The new network settings (${what}) cut the box off, so the box put its old settings back by itself and answers again at ${p.now.reachedAt || 'its old address'}. Nothing after this step was changed.`
      : `The box did not answer on its new network settings (${what}) within ${CONFIRM_WITHIN_MS / 1000} s. It answers again now; check its network before a re-run.`,
  );
}

/** Puts the folder back as it was and applies it, if the change with this token is still pending. */
function rollbackNow(want: NetworkFiles, token: string): string {
  return [
    `[ "$(cat ${STATE}/pending/token 2>/dev/null)" = ${token} ] || exit 0`,
    `rm -rf ${want.dir} && cp -a ${STATE}/pending/previous ${want.dir} && (${want.apply})`,
    `rm -rf ${STATE}/rolled-back && mv ${STATE}/pending ${STATE}/rolled-back`,
  ].join('\n');
}

function pause(ctx: StepContext, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    ctx.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new FieldlinkError('ABORTED', 'Cancelled while waiting on the box network; the box rolls its settings back by itself unless confirmed.'));
      },
      { once: true },
    );
  });
}
