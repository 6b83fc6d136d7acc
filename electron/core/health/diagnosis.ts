import type { ContainerHealth, Diagnosis, HealthSnapshot, PodHealth } from './model.ts';

/** Skew beyond this is worth a warning (TLS, tokens and log times start to mislead); beyond CLOCK_BAD it breaks things. */
export const CLOCK_WARN_MS = 5_000;
export const CLOCK_BAD_MS = 5 * 60_000;
/** k3s renews its certificates at start when they are within 90 days of expiry. */
export const CERT_WARN_DAYS = 90;
export const CERT_BAD_DAYS = 14;
/** A container that failed this recently, with restarts behind it, is crash-looping even while it runs. */
export const CRASH_RECENT_MS = 15 * 60_000;
/** Subjects named in one diagnosis's evidence; the rest are counted. */
const MAX_NAMED = 10;

const RANK: Record<Diagnosis['severity'], number> = { critical: 0, warning: 1, info: 2 };
const ORDER = ['NODE_NOT_READY', 'NODE_PRESSURE', 'POD_OOM_KILLED', 'POD_CRASH_LOOP', 'IMAGE_PULL', 'POD_PENDING', 'POD_EVICTED', 'CLOCK_SKEW', 'CERT_EXPIRY', 'WARNING_EVENTS'];

export type DiagnosisInput = Pick<HealthSnapshot, 'nodes' | 'pods' | 'warnings' | 'clock' | 'clientCert' | 'disk'>;

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function duration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 90) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

const podName = (p: PodHealth) => `${p.namespace}/${p.name}`;

function more(list: string[]): string[] {
  return list.length > MAX_NAMED ? [...list.slice(0, MAX_NAMED), `… and ${list.length - MAX_NAMED} more`] : list;
}

/** Exit codes a technician can read: 137 is SIGKILL (OOM or kill), 143 SIGTERM, 1/2 the app's own error. */
function exitWords(code: number | null): string {
  if (code === null) return 'no exit code';
  if (code > 128 && code < 160) return `exit code ${code} (killed by signal ${code - 128}${code === 137 ? ', SIGKILL' : code === 143 ? ', SIGTERM' : ''})`;
  return `exit code ${code}`;
}

/** What is wrong with the box, worst first, each with its evidence and next step. */
export function diagnose(h: DiagnosisInput, now = Date.now()): Diagnosis[] {
  const out: Diagnosis[] = [];

  // Nodes: not ready, then pressure.
  for (const n of h.nodes) {
    if (n.ready !== 'True') {
      const since = n.lastHeartbeat ? ` The kubelet last reported ${duration(now - Date.parse(n.lastHeartbeat))} ago.` : '';
      out.push({
        severity: 'critical',
        code: 'NODE_NOT_READY',
        title: `Node ${n.name} is not ready (${n.ready === 'Unknown' ? 'no word from its kubelet' : n.readyReason || 'NotReady'})`,
        evidence: [`Ready=${n.ready}${n.readyReason ? ` (${n.readyReason})` : ''}: ${n.readyMessage || 'no message'}.${since}`],
        next:
          n.ready === 'Unknown'
            ? `Check that ${n.name} has power and network and that k3s runs on it: systemctl status k3s (k3s-agent on an agent), journalctl -u k3s -n 100.`
            : `Look at k3s on ${n.name}: systemctl status k3s and journalctl -u k3s -n 100; restart it with systemctl restart k3s if it is stuck.`,
        subjects: [n.name],
      });
    }
    for (const p of n.pressure) {
      const evidence: string[] = [];
      const cond = n.conditions.find((c) => c.type === p);
      if (cond) evidence.push(`${p}=True${cond.reason ? ` (${cond.reason})` : ''}: ${cond.message || 'no message'}`);
      let next: string;
      if (p === 'DiskPressure') {
        for (const d of h.disk ?? []) evidence.push(`${d.mount} is ${d.usedPct}% full, ${bytes(d.availBytes)} free`);
        if (n.capacity.ephemeralBytes) evidence.push(`ephemeral storage: ${bytes(n.allocatable.ephemeralBytes)} allocatable of ${bytes(n.capacity.ephemeralBytes)}`);
        next =
          'Free disk space on the box: old logs (journalctl --vacuum-size=200M), unused images (k3s crictl rmi --prune), files under /var/lib/rancher. The kubelet evicts pods until the disk is below its threshold.';
      } else if (p === 'MemoryPressure') {
        if (n.usage?.memoryBytes && n.allocatable.memoryBytes)
          evidence.push(
            `memory in use: ${bytes(n.usage.memoryBytes)} of ${bytes(n.allocatable.memoryBytes)} allocatable (${Math.round((100 * n.usage.memoryBytes) / n.allocatable.memoryBytes)}%)`,
          );
        next = 'Find the pods using the most memory (the pod list, or k3s kubectl top pods -A) and stop or limit them; the kubelet evicts pods until memory is free.';
      } else {
        next = 'Too many processes on the box: find what forks (ps -e | wc -l; top) and stop it.';
      }
      out.push({
        severity: p === 'PIDPressure' ? 'warning' : 'critical',
        code: 'NODE_PRESSURE',
        title: `Node ${n.name} is under ${p.replace('Pressure', '').toLowerCase()} pressure`,
        evidence,
        next,
        subjects: [n.name],
      });
    }
  }

  // Pods: OOM-killed, crash-looping, image pulls, pending, evicted. A pod is named under its worst reason only.
  const oom: Array<{ p: PodHealth; c: ContainerHealth }> = [];
  const crash: Array<{ p: PodHealth; c: ContainerHealth }> = [];
  const pull: Array<{ p: PodHealth; c: ContainerHealth }> = [];
  const pending: PodHealth[] = [];
  const evicted: PodHealth[] = [];
  for (const p of h.pods) {
    if (p.reason === 'Evicted') {
      evicted.push(p);
      continue;
    }
    const killed = p.containers.find((c) => c.lastTerminated?.reason === 'OOMKilled' || c.terminated?.reason === 'OOMKilled');
    if (killed) {
      oom.push({ p, c: killed });
      continue;
    }
    // Between back-offs a crash-looping container runs for a moment: its restarts and a recent failed exit still say so.
    const recent = (t: string | null | undefined) => !!t && now - Date.parse(t) < CRASH_RECENT_MS;
    const looping = p.containers.find(
      (c) =>
        c.waitingReason === 'CrashLoopBackOff' ||
        (c.restarts >= 3 && c.lastTerminated && c.lastTerminated.exitCode !== 0 && (c.state !== 'running' || recent(c.lastTerminated.finishedAt))),
    );
    if (looping) {
      crash.push({ p, c: looping });
      continue;
    }
    const pulling = p.containers.find((c) => ['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName'].includes(c.waitingReason));
    if (pulling) {
      pull.push({ p, c: pulling });
      continue;
    }
    if (p.phase === 'Pending' && (p.unschedulable || (p.startedAt === null && p.createdAt !== null && now - Date.parse(p.createdAt) > 120_000))) pending.push(p);
  }

  if (oom.length) {
    out.push({
      severity: 'critical',
      code: 'POD_OOM_KILLED',
      title: `${oom.length} pod${oom.length > 1 ? 's were' : ' was'} killed for using more memory than ${oom.length > 1 ? 'their limits' : 'its limit'} (OOMKilled)`,
      evidence: more(
        oom.map(({ p, c }) => {
          const t = c.lastTerminated ?? c.terminated;
          const limit = c.memoryLimitBytes ? `limit ${bytes(c.memoryLimitBytes)}` : 'no memory limit (the node ran out)';
          const now = p.usage?.memoryBytes ? `, using ${bytes(p.usage.memoryBytes)} now` : '';
          return `${podName(p)} container ${c.name}: ${limit}${now}; ${exitWords(t?.exitCode ?? null)}, ${c.restarts} restarts${t?.finishedAt ? `, last at ${t.finishedAt}` : ''}`;
        }),
      ),
      next: 'The container needs more memory than it may use: raise resources.limits.memory in its manifest (its peak is above the limit shown), or find why it grows (its log before the kill: k3s kubectl logs -n NS POD -c CONTAINER --previous).',
      subjects: oom.map(({ p }) => podName(p)),
    });
  }
  if (crash.length) {
    out.push({
      severity: 'critical',
      code: 'POD_CRASH_LOOP',
      title: `${crash.length} pod${crash.length > 1 ? 's are' : ' is'} crash-looping (CrashLoopBackOff)`,
      evidence: more(
        crash.map(({ p, c }) => {
          const t = c.lastTerminated;
          return `${podName(p)} container ${c.name}: ${c.restarts} restarts; last ended ${t ? `${t.reason}, ${exitWords(t.exitCode)}${t.finishedAt ? ` at ${t.finishedAt}` : ''}` : 'for an unknown reason'}`;
        }),
      ),
      next: "Read why it exits: the previous container's log (k3s kubectl logs -n NS POD -c CONTAINER --previous). Often a missing config, secret or a service it needs that is not up yet.",
      subjects: crash.map(({ p }) => podName(p)),
    });
  }
  if (pull.length) {
    const images = [...new Set(pull.map(({ c }) => c.image).filter(Boolean))];
    const arch = h.nodes[0]?.arch || 'amd64';
    out.push({
      severity: 'critical',
      code: 'IMAGE_PULL',
      title: `${pull.length} pod${pull.length > 1 ? 's cannot' : ' cannot'} pull ${images.length > 1 ? 'their images' : 'its image'} (${[...new Set(pull.map(({ c }) => c.waitingReason))].join(', ')})`,
      evidence: more(pull.map(({ p, c }) => `${podName(p)} container ${c.name}: ${c.image || 'image ?'}${c.waitingMessage ? ` — ${c.waitingMessage}` : ''}`)),
      next: `Offline sites usually have no registry: load the images onto the box instead. Copy the airgap images (k3s-airgap-images-${arch}.tar.zst, or the workload's own image tarball) to /var/lib/rancher/k3s/agent/images/ and restart k3s, or import one with k3s ctr images import FILE. Check the image name and tag too.`,
      subjects: pull.map(({ p }) => podName(p)),
    });
  }
  if (pending.length) {
    out.push({
      severity: 'warning',
      code: 'POD_PENDING',
      title: `${pending.length} pod${pending.length > 1 ? 's are' : ' is'} pending${pending.some((p) => p.unschedulable) ? ' (cannot be scheduled)' : ''}`,
      evidence: more(
        pending.map(
          (p) =>
            `${podName(p)}: ${p.unschedulable ? `${p.unschedulable.reason}: ${p.unschedulable.message || 'no message'}` : `not started after ${p.createdAt ? duration(now - Date.parse(p.createdAt)) : '?'}`}`,
        ),
      ),
      next: 'Read the reason: "insufficient cpu/memory" means the node is full (stop something or lower the requests); "taint" or "node selector" means no node matches (check labels and taints: k3s kubectl describe node); a pod not scheduled with no reason waits for its volume or the scheduler.',
      subjects: pending.map(podName),
    });
  }
  if (evicted.length) {
    out.push({
      severity: 'warning',
      code: 'POD_EVICTED',
      title: `${evicted.length} pod${evicted.length > 1 ? 's were' : ' was'} evicted`,
      evidence: more(evicted.map((p) => `${podName(p)}: ${p.message || 'Evicted'}`)),
      next: 'The kubelet evicted them to save the node (disk or memory pressure): fix the pressure first, then delete the evicted pods (k3s kubectl delete pod -n NS POD); their controllers start new ones.',
      subjects: evicted.map(podName),
    });
  }

  if (h.clock && Math.abs(h.clock.skewMs) - h.clock.uncertaintyMs > CLOCK_WARN_MS) {
    const ahead = h.clock.skewMs > 0;
    out.push({
      severity: Math.abs(h.clock.skewMs) > CLOCK_BAD_MS ? 'critical' : 'warning',
      code: 'CLOCK_SKEW',
      title: `The box's clock is ${duration(h.clock.skewMs)} ${ahead ? 'ahead of' : 'behind'} this laptop`,
      evidence: [`box minus laptop: ${Math.round(h.clock.skewMs / 1000)} s (± ${Math.ceil(h.clock.uncertaintyMs / 1000)} s)`],
      next: "Set the box's time: with a time server reachable, timedatectl set-ntp true; offline, from this laptop's time (date -u -s '@<epoch>'). Certificates, tokens and log times depend on it.",
      subjects: [],
    });
  }

  if (h.clientCert) {
    const left = Date.parse(h.clientCert.notAfter) - now;
    const days = left / 86_400_000;
    if (days < CERT_WARN_DAYS) {
      out.push({
        severity: days < CERT_BAD_DAYS ? 'critical' : 'warning',
        code: 'CERT_EXPIRY',
        title: left <= 0 ? `The k3s client certificate expired ${duration(left)} ago` : `The k3s client certificate expires in ${duration(left)}`,
        evidence: [`${h.clientCert.subject || 'client certificate'}: valid until ${h.clientCert.notAfter}`],
        next: 'k3s renews certificates that expire within 90 days when it starts: restart it on the box (systemctl restart k3s), or rotate them (k3s certificate rotate, then restart). Check the box clock first.',
        subjects: [],
      });
    }
  }

  // Warning events not already explained by a pod or node above, grouped by reason.
  const named = new Set(out.flatMap((d) => d.subjects));
  const rest = h.warnings.filter((e) => !named.has(`${e.namespace}/${e.name}`) && !named.has(e.name));
  if (rest.length) {
    const byReason = new Map<string, { n: number; example: string }>();
    for (const e of rest) {
      const r = byReason.get(e.reason) ?? { n: 0, example: `${e.kind}/${e.namespace ? `${e.namespace}/` : ''}${e.name}: ${e.message}` };
      r.n += e.count;
      byReason.set(e.reason, r);
    }
    const top = [...byReason].sort((a, b) => b[1].n - a[1].n);
    out.push({
      severity: 'info',
      code: 'WARNING_EVENTS',
      title: `${rest.length} other warning event${rest.length > 1 ? 's' : ''} (${top
        .slice(0, 3)
        .map(([r, v]) => `${r || '?'} ×${v.n}`)
        .join(', ')})`,
      evidence: top.slice(0, 5).map(([r, v]) => `${r || '?'}: ${v.example}`),
      next: 'Read them in the events list, newest first; each names the object it is about.',
      subjects: [],
    });
  }

  return out.sort((a, b) => RANK[a.severity] - RANK[b.severity] || ORDER.indexOf(a.code) - ORDER.indexOf(b.code));
}
