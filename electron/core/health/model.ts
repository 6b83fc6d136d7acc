/**
 * The health model: what a technician needs of a box's nodes, pods and events, cut down from the
 * Kubernetes objects the box returned. Everything here came from the box and is untrusted: strings
 * are bounded here and sanitised where they are shown (shared/text.ts). Annotations, labels,
 * managed fields and specs beyond resource limits are never kept, so a 1 MB annotation costs nothing
 * past parsing.
 */

/** The model's shapes are the contract's (shared/health.ts): one definition for the core, the CLI and the UI. */
export type { NodeCondition, Resources, NodeHealth, ContainerHealth, PodHealth, EventHealth, HealthSnapshot, Diagnosis } from '../../../shared/health.ts';
import type { NodeCondition, Resources, NodeHealth, ContainerHealth, PodHealth, EventHealth, HealthSnapshot } from '../../../shared/health.ts';

/** Longest box string kept (a name, a reason); messages get MAX_MESSAGE. */
export const MAX_STRING = 256;
export const MAX_MESSAGE = 1024;
/** Pods kept in a snapshot (the count is always exact; beyond this the model says it was cut). */
export const MAX_PODS = 10_000;
/** Warning events kept, newest first. */
export const MAX_EVENTS = 500;
const MAX_CONTAINERS = 32;
const MAX_CONDITIONS = 16;

/** Raw Kubernetes objects as the box returned them (JSON): typed only as far as we read them. */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown, max: number): unknown[] => (Array.isArray(v) ? v.slice(0, max) : []);

/** A box string, bounded. Non-strings become ''. */
export function str(v: unknown, max = MAX_STRING): string {
  if (typeof v !== 'string') return typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  return v.length > max ? `${v.slice(0, max - 1)}…` : v;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const time = (v: unknown): string | null => {
  // client-node hands dates over as Date objects; kubectl's JSON as strings.
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (typeof v !== 'string' || v.length > 40) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
};

const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  m: 1e-3,
  u: 1e-6,
  n: 1e-9,
};

/** A Kubernetes quantity ("8025880Ki", "250m", "1.5G", "2e3") as a number of base units; null when it is not one. */
export function quantity(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v.length > 40) return null;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|u|n)?)$/.exec(v.trim());
  if (!m) return null;
  const base = Number(m[1]);
  const mult = m[2] !== undefined ? 10 ** Number(m[2]) : SUFFIX[m[3] ?? '']!;
  const n = base * mult;
  return Number.isFinite(n) ? n : null;
}

function resources(v: unknown): Resources {
  const r = obj(v);
  const cpu = quantity(r.cpu);
  return { cpuMilli: cpu === null ? null : Math.round(cpu * 1000), memoryBytes: quantity(r.memory), ephemeralBytes: quantity(r['ephemeral-storage']), pods: quantity(r.pods) };
}

export function nodeHealth(raw: unknown): NodeHealth {
  const n = obj(raw);
  const meta = obj(n.metadata);
  const status = obj(n.status);
  const info = obj(status.nodeInfo);
  const conditions: NodeCondition[] = arr(status.conditions, MAX_CONDITIONS).map((c) => {
    const o = obj(c);
    return { type: str(o.type), status: str(o.status), reason: str(o.reason), message: str(o.message, MAX_MESSAGE), lastTransition: time(o.lastTransitionTime) };
  });
  const ready = arr(status.conditions, MAX_CONDITIONS)
    .map(obj)
    .find((c) => c.type === 'Ready');
  const labels = obj(meta.labels);
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .slice(0, 8)
    .map((k) => str(k.slice('node-role.kubernetes.io/'.length), 64));
  return {
    name: str(meta.name),
    ready: ready ? str(ready.status) || 'Unknown' : 'Unknown',
    readyReason: ready ? str(ready.reason) : 'NoReadyCondition',
    readyMessage: ready ? str(ready.message, MAX_MESSAGE) : 'The node has not posted a Ready condition.',
    lastHeartbeat: ready ? time(ready.lastHeartbeatTime) : null,
    pressure: conditions.filter((c) => /Pressure$/.test(c.type) && c.status === 'True').map((c) => c.type),
    conditions,
    capacity: resources(status.capacity),
    allocatable: resources(status.allocatable),
    kubeletVersion: str(info.kubeletVersion, 64),
    arch: str(info.architecture, 32),
    osImage: str(info.osImage, 128),
    kernel: str(info.kernelVersion, 128),
    containerRuntime: str(info.containerRuntimeVersion, 128),
    unschedulable: obj(n.spec).unschedulable === true,
    roles,
    usage: null,
  };
}

function terminatedOf(v: unknown) {
  const t = obj(v);
  return {
    reason: str(t.reason) || (num(t.exitCode) === 0 ? 'Completed' : 'Error'),
    exitCode: num(t.exitCode),
    finishedAt: time(t.finishedAt),
    message: str(t.message, MAX_MESSAGE),
  };
}

function containerHealth(rawStatus: unknown, spec: Obj | undefined, init: boolean): ContainerHealth {
  const s = obj(rawStatus);
  const state = obj(s.state);
  const last = obj(s.lastState);
  const waiting = isObj(state.waiting) ? state.waiting : null;
  const limits = obj(obj(spec?.resources).limits);
  const requests = obj(obj(spec?.resources).requests);
  return {
    name: str(s.name),
    image: str(s.image ?? spec?.image, MAX_MESSAGE),
    ready: s.ready === true,
    restarts: Math.max(0, num(s.restartCount) ?? 0),
    state: isObj(state.running) ? 'running' : waiting ? 'waiting' : isObj(state.terminated) ? 'terminated' : 'unknown',
    waitingReason: waiting ? str(waiting.reason) : '',
    waitingMessage: waiting ? str(waiting.message, MAX_MESSAGE) : '',
    terminated: isObj(state.terminated) ? terminatedOf(state.terminated) : null,
    lastTerminated: isObj(last.terminated) ? terminatedOf(last.terminated) : null,
    memoryLimitBytes: quantity(limits.memory),
    memoryRequestBytes: quantity(requests.memory),
    init,
  };
}

export function podHealth(raw: unknown): PodHealth {
  const p = obj(raw);
  const meta = obj(p.metadata);
  const spec = obj(p.spec);
  const status = obj(p.status);
  const specs = new Map<string, Obj>();
  for (const c of [...arr(spec.containers, MAX_CONTAINERS), ...arr(spec.initContainers, MAX_CONTAINERS)].map(obj)) if (typeof c.name === 'string') specs.set(c.name, c);
  const main = arr(status.containerStatuses, MAX_CONTAINERS).map((c) => containerHealth(c, specs.get(str(obj(c).name)), false));
  const inits = arr(status.initContainerStatuses, MAX_CONTAINERS).map((c) => containerHealth(c, specs.get(str(obj(c).name)), true));
  // A pod whose containers have no status yet (Pending, unscheduled) still has its declared containers.
  const declared = arr(spec.containers, MAX_CONTAINERS).length;
  const scheduled = arr(status.conditions, MAX_CONDITIONS)
    .map(obj)
    .find((c) => c.type === 'PodScheduled');
  const owner = arr(meta.ownerReferences, 4).map(obj)[0];
  const pod: PodHealth = {
    namespace: str(meta.namespace),
    name: str(meta.name),
    node: str(spec.nodeName),
    phase: str(status.phase) || 'Unknown',
    status: '',
    readyContainers: main.filter((c) => c.ready).length,
    totalContainers: Math.max(declared, main.length),
    restarts: [...main, ...inits].reduce((n, c) => n + c.restarts, 0),
    reason: str(status.reason),
    message: str(status.message, MAX_MESSAGE),
    unschedulable: scheduled && scheduled.status === 'False' ? { reason: str(scheduled.reason) || 'Unschedulable', message: str(scheduled.message, MAX_MESSAGE) } : null,
    createdAt: time(meta.creationTimestamp),
    startedAt: time(status.startTime),
    owner: owner ? `${str(owner.kind, 64)}/${str(owner.name)}` : '',
    containers: [...inits, ...main],
    usage: null,
  };
  pod.status = podStatusWord(pod, meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null);
  return pod;
}

/** kubectl's STATUS column, as its printer derives it. */
function podStatusWord(p: PodHealth, deleting: boolean): string {
  if (p.reason) return p.reason;
  let word = p.phase;
  for (const c of p.containers.filter((c) => c.init)) {
    if (c.terminated && c.terminated.exitCode === 0) continue;
    if (c.terminated) return `Init:${c.terminated.reason || `ExitCode:${c.terminated.exitCode}`}`;
    if (c.waitingReason && c.waitingReason !== 'PodInitializing') return `Init:${c.waitingReason}`;
    return `Init:${p.containers.filter((x) => x.init).indexOf(c)}/${p.containers.filter((x) => x.init).length}`;
  }
  let running = false;
  for (const c of p.containers.filter((c) => !c.init).reverse()) {
    if (c.waitingReason) word = c.waitingReason;
    else if (c.terminated) word = c.terminated.reason || `ExitCode:${c.terminated.exitCode}`;
    else if (c.state === 'running' && c.ready) running = true;
  }
  if (word === 'Completed' && running) word = 'Running';
  if (p.phase === 'Pending' && p.unschedulable && word === 'Pending') word = 'Pending';
  return deleting ? 'Terminating' : word;
}

export function eventHealth(raw: unknown): EventHealth {
  const e = obj(raw);
  const io = obj(e.involvedObject ?? e.regarding);
  const series = obj(e.series);
  return {
    type: str(e.type, 32),
    reason: str(e.reason),
    message: str(e.message ?? e.note, MAX_MESSAGE),
    kind: str(io.kind, 64),
    namespace: str(io.namespace),
    name: str(io.name),
    count: Math.max(1, num(series.count) ?? num(e.count) ?? 1),
    lastSeen: time(series.lastObservedTime) ?? time(e.lastTimestamp) ?? time(e.eventTime) ?? time(obj(e.metadata).creationTimestamp),
  };
}

/** NodeMetrics / PodMetrics (metrics.k8s.io) as usage by node name and by namespace/pod. */
export function usageOf(nodeMetrics: unknown[], podMetrics: unknown[]): { nodes: Map<string, NodeHealth['usage']>; pods: Map<string, PodHealth['usage']> } {
  const nodes = new Map<string, NodeHealth['usage']>();
  for (const m of nodeMetrics.slice(0, 1000).map(obj)) {
    const r = resources(m.usage);
    nodes.set(str(obj(m.metadata).name), { cpuMilli: r.cpuMilli, memoryBytes: r.memoryBytes });
  }
  const pods = new Map<string, PodHealth['usage']>();
  for (const m of podMetrics.slice(0, MAX_PODS).map(obj)) {
    let cpu = 0;
    let mem = 0;
    for (const c of arr(m.containers, MAX_CONTAINERS).map(obj)) {
      const r = resources(c.usage);
      cpu += r.cpuMilli ?? 0;
      mem += r.memoryBytes ?? 0;
    }
    const meta = obj(m.metadata);
    pods.set(`${str(meta.namespace)}/${str(meta.name)}`, { cpuMilli: cpu, memoryBytes: mem });
  }
  return { nodes, pods };
}

export interface RawHealth {
  nodes: unknown[];
  pods: unknown[];
  /** Pods the box has, when more were listed than kept. */
  podTotal?: number;
  events: unknown[];
  nodeMetrics?: unknown[] | null;
  podMetrics?: unknown[] | null;
}

/** The model of one box from its raw objects: bounded, sorted as a technician reads them. */
export function buildModel(raw: RawHealth): Pick<HealthSnapshot, 'nodes' | 'pods' | 'podCount' | 'podsTruncated' | 'warnings' | 'warningCount' | 'metrics'> {
  const nodes = raw.nodes.slice(0, 1000).map(nodeHealth);
  const pods = raw.pods.slice(0, MAX_PODS).map(podHealth);
  const metrics = Array.isArray(raw.nodeMetrics) || Array.isArray(raw.podMetrics);
  if (metrics) {
    const u = usageOf(raw.nodeMetrics ?? [], raw.podMetrics ?? []);
    for (const n of nodes) n.usage = u.nodes.get(n.name) ?? null;
    for (const p of pods) p.usage = u.pods.get(`${p.namespace}/${p.name}`) ?? null;
  }
  const warningsAll = raw.events.filter((e) => obj(e).type === 'Warning');
  const warnings = warningsAll
    .map(eventHealth)
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
    .slice(0, MAX_EVENTS);
  nodes.sort((a, b) => a.name.localeCompare(b.name));
  pods.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const podCount = Math.max(raw.podTotal ?? 0, raw.pods.length);
  return { nodes, pods, podCount, podsTruncated: podCount > pods.length, warnings, warningCount: warningsAll.length, metrics };
}
