import { FieldlinkError } from '../../../shared/errors.ts';
import { safeText } from '../../../shared/text.ts';
import { bytes, canForward, healthOf, keptCredentials, loadClientNode, type Diagnosis, type HealthSnapshot, type PodHealth } from '../../core/health/index.ts';
import type { Command } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';
import { table } from '../output.ts';

/** Pods listed by `fieldlink health` without --json: the unhealthy ones always, healthy ones up to this. */
const MAX_HEALTHY_SHOWN = 50;

export const health: Command = {
  name: 'health',
  usage: 'TARGET [--json]',
  summary: 'node and pod health of a box, worst first',
  options: { ...connectOptionSpecs },
  async run(ctx) {
    const [target, ...extra] = ctx.args;
    if (!target || extra.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink health TARGET [--json]');
    const opts = await connectOptions(ctx);
    ctx.out.progress(`connecting to ${target}`);
    const connecting = ctx.app().connections.shell(target, opts);
    // The Kubernetes client (~300 ms to load) loads once the SSH login is on the wire, in its round trips.
    setImmediate(() => void loadClientNode().catch(() => undefined));
    const shell = await connecting;
    try {
      const { secrets, log } = ctx.app();
      const credentials = canForward(shell) ? keptCredentials(secrets, shell.target, log) : undefined;
      const snap = await healthOf(shell, { target, signal: ctx.signal, timeoutMs: opts.timeoutMs, progress: (m) => ctx.out.progress(m), log, credentials });
      ctx.out.result(snap, () => renderHealth(snap));
      return 0;
    } finally {
      await shell.close();
    }
  },
};

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
