import { FieldlinkError } from '../../../shared/errors.ts';
import { safeText } from '../../../shared/text.ts';
import {
  ApiSession,
  LiveHealth,
  bytes,
  canForward,
  healthOf,
  healthOverShell,
  keptCredentials,
  loadClientNode,
  type Diagnosis,
  type HealthSnapshot,
  type LiveUpdate,
  type PodHealth,
} from '../../core/health/index.ts';
import type { Shell } from '../../core/transport/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';
import { table } from '../output.ts';

/** Pods listed by `fieldlink health` without --json: the unhealthy ones always, healthy ones up to this. */
const MAX_HEALTHY_SHOWN = 50;

export const health: Command = {
  name: 'health',
  usage: 'TARGET [--watch] [--json]',
  summary: 'node and pod health of a box, worst first',
  options: {
    ...connectOptionSpecs,
    watch: { type: 'boolean', short: 'w', description: 'keep watching (Kubernetes watches over SSH; a fresh read every 30 s over the serial console) until Ctrl-C' },
  },
  async run(ctx) {
    const [target, ...extra] = ctx.args;
    if (!target || extra.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink health TARGET [--watch] [--json]');
    const opts = await connectOptions(ctx);
    ctx.out.progress(`connecting to ${target}`);
    const connecting = ctx.app().connections.shell(target, opts);
    // The Kubernetes client (~300 ms to load) loads once the SSH login is on the wire, in its round trips.
    setImmediate(() => void loadClientNode().catch(() => undefined));
    const shell = await connecting;
    if (ctx.options.watch) return watch(ctx, target, shell, opts);
    try {
      const { secrets, log } = ctx.app();
      const credentials = canForward(shell) ? keptCredentials(secrets, shell.target, log) : undefined;
      const snap = await healthOf(shell, { target, signal: ctx.signal, timeoutMs: opts.timeoutMs, progress: (m) => ctx.out.progress(m), log, credentials });
      // A box of the inventory keeps this as its last snapshot (the Box view shows it when the box is out of reach).
      const boxId = inventoryBoxOf(ctx, target);
      if (boxId) await ctx.app().health.record(boxId, snap);
      ctx.out.result(snap, () => renderHealth(snap));
      return 0;
    } finally {
      await shell.close();
    }
  },
};

/** The inventory's box a target names: by name, or the one box with that address or cable. */
function inventoryBoxOf(ctx: CommandContext, target: string): string | null {
  const { connections, inventory } = ctx.app();
  const t = connections.resolve(target);
  if (t.boxId) return t.boxId;
  const matches = inventory.list().filter((b) => (t.kind === 'ssh' ? b.addresses.includes(t.host) : b.consolePath === t.path));
  return matches.length === 1 ? matches[0]!.id : null;
}

/** Interval of fresh reads over a serial console with --watch: each one costs seconds of the cable. */
const SERIAL_WATCH_MS = 30_000;

/**
 * `--watch`: the live model (informers through the tunnel) printed again on every change, at most
 * once a second; with --json one JSON document per line. Ctrl-C ends it.
 */
async function watch(ctx: CommandContext, target: string, first: Shell, opts: Awaited<ReturnType<typeof connectOptions>>): Promise<number> {
  const { connections, secrets, log } = ctx.app();
  const stopped = new Promise<void>((r) => (ctx.signal.aborted ? r() : ctx.signal.addEventListener('abort', () => r(), { once: true })));
  if (!canForward(first)) {
    for (let shell: Shell | null = first; !ctx.signal.aborted; shell = null) {
      try {
        shell ??= await connections.shell(target, opts);
        const snap = await healthOverShell(shell, { target, signal: ctx.signal, log, progress: (m) => ctx.out.progress(m) });
        printUpdate(ctx, { target, state: 'live', snapshot: snap, lastGoodAt: snap.takenAt, error: null });
      } catch (err) {
        if (ctx.signal.aborted) break;
        ctx.out.progress(`${target}: ${(err as Error).message}; trying again in ${SERIAL_WATCH_MS / 1000} s`);
      } finally {
        await shell?.close().catch(() => undefined);
      }
      await Promise.race([stopped, new Promise((r) => setTimeout(r, SERIAL_WATCH_MS))]);
    }
    return 0;
  }
  let pending: Shell | null = first;
  const live = new LiveHealth({
    target,
    throttleMs: 1000,
    log,
    connect: async (signal) => {
      const shell = pending ?? (await connections.shell(target, { ...opts, signal }));
      pending = null;
      try {
        if (!canForward(shell)) throw new FieldlinkError('LINK_DOWN', `${target} is reachable only over its cable now.`);
        const session = await ApiSession.open(shell, { signal, log, credentials: keptCredentials(secrets, shell.target, log) });
        return { session, close: async () => (await session.close(), await shell.close()) };
      } catch (err) {
        await shell.close();
        throw err;
      }
    },
    onUpdate: (u) => printUpdate(ctx, u),
  });
  live.start();
  await stopped;
  await live.stop();
  const last = live.current().snapshot;
  const boxId = last ? inventoryBoxOf(ctx, target) : null;
  if (last && boxId) await ctx.app().health.record(boxId, last);
  return 0;
}

function printUpdate(ctx: CommandContext, u: LiveUpdate): void {
  if (ctx.out.json) return ctx.out.line(u);
  const head =
    u.state === 'live'
      ? `LIVE: ${safeText(u.target)} (Ctrl-C to stop)`
      : u.state === 'stale'
        ? `LINK LOST: showing data from ${u.lastGoodAt ?? '?'}; reconnecting${u.error ? ` (${safeText(u.error.message, 200)})` : ''}`
        : `CONNECTING to ${safeText(u.target)}${u.error ? `: ${safeText(u.error.message, 200)}` : ''}`;
  ctx.out.screen(u.snapshot ? `${head}\n\n${renderHealth(u.snapshot)}` : head);
}

const SEVERITY_WORD: Record<Diagnosis['severity'], string> = { critical: 'PROBLEM', warning: 'WARNING', info: 'NOTE' };

const healthy = (p: PodHealth) => (p.phase === 'Running' && p.readyContainers === p.totalContainers && !p.containers.some((c) => c.waitingReason)) || p.phase === 'Succeeded';

/** The snapshot as a technician reads it: what is wrong first, then the nodes, then the pods (troubled ones first). */
export function renderHealth(s: HealthSnapshot): string {
  const out: string[] = [];
  const how = s.via === 'api' ? `the k3s API through an SSH tunnel` : `k3s kubectl on the box over the ${s.link === 'serial' ? 'serial console' : 'SSH shell'}`;
  out.push(`Health of ${safeText(s.target)} at ${s.takenAt} (${how})`, '');
  if (s.diagnosis.length === 0) out.push('Nothing wrong found: every node is ready and every pod is running or completed.');
  for (const d of s.diagnosis) {
    out.push(`${SEVERITY_WORD[d.severity]}: ${safeText(d.title, 300)}`);
    for (const e of d.evidence) out.push(`  - ${safeText(e, 400)}`);
    out.push(`  Next: ${safeText(d.next, 600)}`, '');
  }
  out.push('', 'NODES');
  out.push(
    table(
      ['NAME', 'READY', 'PRESSURE', 'CPU', 'MEMORY', 'PODS', 'VERSION', 'ARCH', 'OS'],
      s.nodes.map((n) => [
        n.name,
        n.ready === 'True' ? 'Ready' : `NotReady (${n.ready})`,
        n.pressure.join(',') || '-',
        `${n.usage?.cpuMilli != null ? `${n.usage.cpuMilli}m/` : ''}${n.allocatable.cpuMilli ?? '?'}m`,
        `${n.usage?.memoryBytes != null ? `${bytes(n.usage.memoryBytes)}/` : ''}${bytes(n.allocatable.memoryBytes)}`,
        String(n.allocatable.pods ?? '?'),
        n.kubeletVersion,
        n.arch,
        n.osImage,
      ]),
    ),
  );
  const troubled = s.pods.filter((p) => !healthy(p));
  const fine = s.pods.filter(healthy);
  const shown = [...troubled, ...fine.slice(0, MAX_HEALTHY_SHOWN)];
  out.push('', `PODS (${s.podCount}${s.podsTruncated ? `, first ${s.pods.length} read` : ''}; ${troubled.length} not healthy)`);
  out.push(
    table(
      ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'LAST EXIT', 'NODE'],
      shown.map((p) => {
        const last = p.containers.find((c) => c.lastTerminated)?.lastTerminated;
        return [
          p.namespace,
          p.name,
          `${p.readyContainers}/${p.totalContainers}`,
          p.status,
          String(p.restarts),
          last ? `${last.reason} (${last.exitCode ?? '?'})` : '-',
          p.node || '-',
        ];
      }),
    ),
  );
  if (fine.length > MAX_HEALTHY_SHOWN) out.push(`… and ${fine.length - MAX_HEALTHY_SHOWN} more healthy pods (--json lists them all)`);
  if (s.warningCount) out.push('', `${s.warningCount} warning event${s.warningCount > 1 ? 's' : ''}${s.metrics ? '' : '; metrics.k8s.io did not answer'}`);
  return out.join('\n');
}
