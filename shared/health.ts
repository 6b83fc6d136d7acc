import { z } from 'zod';

/**
 * The health model on the contract: what a technician needs of a box's nodes, pods and events, cut
 * down from the Kubernetes objects the box returned (electron/core/health builds it). Every string
 * came from the box: bounded by the core, shown as text by the UI.
 */

const nullableTime = z.string().nullable();
const usage = z.object({ cpuMilli: z.number().nullable(), memoryBytes: z.number().nullable() }).nullable();

export const NodeCondition = z.object({ type: z.string(), status: z.string(), reason: z.string(), message: z.string(), lastTransition: nullableTime });
export type NodeCondition = z.infer<typeof NodeCondition>;

/** CPU in millicores, memory and storage in bytes, pods as a count; null where the box gave none. */
export const Resources = z.object({ cpuMilli: z.number().nullable(), memoryBytes: z.number().nullable(), ephemeralBytes: z.number().nullable(), pods: z.number().nullable() });
export type Resources = z.infer<typeof Resources>;

export const NodeHealth = z.object({
  name: z.string(),
  /** Ready condition: True, False or Unknown (the kubelet stopped posting). */
  ready: z.string(),
  readyReason: z.string(),
  readyMessage: z.string(),
  lastHeartbeat: nullableTime,
  /** The pressure conditions that are True: MemoryPressure, DiskPressure, PIDPressure. */
  pressure: z.array(z.string()),
  conditions: z.array(NodeCondition),
  capacity: Resources,
  allocatable: Resources,
  kubeletVersion: z.string(),
  arch: z.string(),
  osImage: z.string(),
  kernel: z.string(),
  containerRuntime: z.string(),
  unschedulable: z.boolean(),
  roles: z.array(z.string()),
  usage,
});
export type NodeHealth = z.infer<typeof NodeHealth>;

const Termination = { reason: z.string(), exitCode: z.number().nullable(), finishedAt: nullableTime };

export const ContainerHealth = z.object({
  name: z.string(),
  image: z.string(),
  ready: z.boolean(),
  restarts: z.number(),
  /** running, waiting, terminated or unknown. */
  state: z.string(),
  waitingReason: z.string(),
  waitingMessage: z.string(),
  /** The current state's termination (a container that ended and was not restarted). */
  terminated: z.object(Termination).nullable(),
  lastTerminated: z.object({ ...Termination, message: z.string() }).nullable(),
  memoryLimitBytes: z.number().nullable(),
  memoryRequestBytes: z.number().nullable(),
  init: z.boolean(),
});
export type ContainerHealth = z.infer<typeof ContainerHealth>;

export const PodHealth = z.object({
  namespace: z.string(),
  name: z.string(),
  node: z.string(),
  phase: z.string(),
  /** The one word a technician reads first, as kubectl's STATUS column: CrashLoopBackOff, OOMKilled, Evicted, Running… */
  status: z.string(),
  readyContainers: z.number(),
  totalContainers: z.number(),
  restarts: z.number(),
  /** pod.status.reason / message (Evicted, NodeLost…). */
  reason: z.string(),
  message: z.string(),
  /** PodScheduled=False: its reason (Unschedulable) and message (0/1 nodes are available: …). */
  unschedulable: z.object({ reason: z.string(), message: z.string() }).nullable(),
  createdAt: nullableTime,
  startedAt: nullableTime,
  owner: z.string(),
  containers: z.array(ContainerHealth),
  usage,
});
export type PodHealth = z.infer<typeof PodHealth>;

export const EventHealth = z.object({
  type: z.string(),
  reason: z.string(),
  message: z.string(),
  /** Kind/namespace/name of the object it is about. */
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  count: z.number(),
  lastSeen: nullableTime,
});
export type EventHealth = z.infer<typeof EventHealth>;

/** One thing wrong, in words a technician can act on. */
export const Diagnosis = z.object({
  /** critical: the box or a workload is down; warning: degraded or about to be; info: worth knowing. */
  severity: z.enum(['critical', 'warning', 'info']),
  /** Stable code: NODE_NOT_READY, NODE_PRESSURE, POD_OOM_KILLED, POD_CRASH_LOOP, IMAGE_PULL, POD_PENDING, POD_EVICTED, CLOCK_SKEW, CERT_EXPIRY, WARNING_EVENTS. */
  code: z.string(),
  /** One line: what is wrong. */
  title: z.string(),
  /** What the box said that shows it (bounded box text). */
  evidence: z.array(z.string()),
  /** What to try next. */
  next: z.string(),
  /** The objects it is about: node names or namespace/pod. */
  subjects: z.array(z.string()),
});
export type Diagnosis = z.infer<typeof Diagnosis>;

export const HealthSnapshot = z.object({
  /** The target as the technician named it, and how the data came. */
  target: z.string(),
  /** api: the k3s API through a tunnel; shell: `k3s kubectl … -o json` run on the box (the serial console's way). */
  via: z.enum(['api', 'shell']),
  /** What carried it: the network (ssh) or the cable (serial). */
  link: z.enum(['ssh', 'serial']),
  takenAt: z.string(),
  nodes: z.array(NodeHealth),
  pods: z.array(PodHealth),
  /** Pods the box has (exact), and whether `pods` was cut at MAX_PODS. */
  podCount: z.number(),
  podsTruncated: z.boolean(),
  /** Warning events, newest first (at most MAX_EVENTS), and how many there were. */
  warnings: z.array(EventHealth),
  warningCount: z.number(),
  /** metrics.k8s.io answered. */
  metrics: z.boolean(),
  /** Box clock minus laptop clock, with the measurement's uncertainty. */
  clock: z.object({ skewMs: z.number(), uncertaintyMs: z.number() }).nullable(),
  /** The k3s client certificate Fieldlink (and the box's admin kubeconfig) uses. */
  clientCert: z.object({ notAfter: z.string(), subject: z.string() }).nullable(),
  /** Disk use on the box where a node reports disk pressure (df), for "how full". */
  disk: z.array(z.object({ mount: z.string(), usedPct: z.number(), availBytes: z.number() })).nullable(),
  diagnosis: z.array(Diagnosis),
});
export type HealthSnapshot = z.infer<typeof HealthSnapshot>;

/**
 * A box's health as the Box view shows it: live (watched now), stale (the link dropped: the last
 * good data and when it was), snapshot (the box is not reachable: the one kept on disk), or
 * connecting. `link` says what carries the live data.
 */
export const HealthState = z.enum(['connecting', 'live', 'stale', 'snapshot', 'none']);
export type HealthState = z.infer<typeof HealthState>;

export const HealthView = z.object({
  boxId: z.string(),
  state: HealthState,
  snapshot: HealthSnapshot.nullable(),
  /** When the shown data was last good (the snapshot's time for a kept one). */
  lastGoodAt: z.string().nullable(),
  /** Why it is not live: the error as the core explains it. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type HealthView = z.infer<typeof HealthView>;
