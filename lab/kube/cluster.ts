import type { K3sFlags, Scenario } from './box-config.ts';
import { hash32, isoSec, seeded, suffix, uid as makeUid } from './random.ts';
import { planScenario, type ContainerSpec, type ScenarioPlan, type WorkloadSpec } from './scenario.ts';
import { Store, type KubeObject } from './store.ts';
import { TimerHeap } from './timers.ts';
import type { LogInstance } from './logs.ts';

/**
 * One simulated k3s cluster: its nodes and pods as state machines driven by scenario time, rendered
 * into Kubernetes objects in a Store. Time acceleration divides every scenario interval (back-offs,
 * log periods, heartbeats) by timeScale; timestamps stay real wall-clock times.
 */

export interface NodeSpec {
  name: string;
  ip: string;
  arch: 'amd64' | 'arm64';
  role: 'server' | 'agent';
  k3sVersion: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

export interface ClusterOptions {
  scenario: Scenario;
  server: NodeSpec;
  flags: K3sFlags;
  seed: string;
  timeScale?: number;
  historyLimit?: number;
  /** Scenario history simulated before the first request, so a new box already has restarts and logs. */
  warmupMs?: number;
  now?: number;
  maxEvents?: number;
}

interface Instance {
  startedAt: number;
  endedAt?: number;
  reason?: string;
  exitCode?: number;
}

interface SimContainer {
  spec: ContainerSpec;
  restarts: number;
  current?: Instance;
  last?: Instance;
  waiting?: { reason: string; message?: string };
  containerId: string;
  pullAttempts: number;
}

interface SimPod {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  node: string;
  workload: WorkloadSpec;
  ownerName: string;
  ownerKind: string;
  createdAt: number;
  ip: string;
  containers: SimContainer[];
  evicted?: { at: number; message: string };
  unschedulable?: { at: number; message: string };
}

interface SimNode extends NodeSpec {
  uid: string;
  createdAt: number;
  index: number;
  heartbeatAt: number;
  diskPressureSince?: number;
  /** Set while the node's kubelet is gone (an agent stopped): the node goes Unknown, as in k3s. */
  lostSince?: number;
  bootId?: string;
}

interface EventRecord {
  key: string;
  obj: KubeObject;
}

const S = 1000;
const UNSCHEDULABLE_DISK =
  '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
const CAPACITY = { cpu: '4', memory: '8025880Ki', 'ephemeral-storage': '61202244Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' };
const ALLOCATABLE = { cpu: '4', memory: '8025880Ki', 'ephemeral-storage': '59536620270', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' };

export class Cluster {
  readonly store: Store;
  readonly timeScale: number;
  readonly startedAt: number;
  readonly plan: ScenarioPlan;
  private readonly timers = new TimerHeap();
  private readonly pods = new Map<string, SimPod>();
  private readonly nodes = new Map<string, SimNode>();
  private readonly events = new Map<string, EventRecord>();
  private readonly rnd: () => number;
  private readonly maxEvents: number;
  private readonly serverName: string;
  private readonly flags: K3sFlags;
  private cronRuns: string[] = [];
  private cronCount = 0;
  private eventSeq = 0;
  private nextIp = 10;
  clock: number;

  constructor(opts: ClusterOptions) {
    this.timeScale = opts.timeScale ?? 1;
    this.store = new Store({ historyLimit: opts.historyLimit });
    this.rnd = seeded(hash32(opts.seed));
    this.maxEvents = opts.maxEvents ?? 1000;
    this.flags = opts.flags;
    const now = opts.now ?? Date.now();
    const warmup = opts.warmupMs ?? 10 * 60 * S;
    this.startedAt = now - warmup;
    this.clock = this.startedAt;
    this.plan = planScenario(opts.scenario);
    this.serverName = opts.server.name;
    for (const ns of this.plan.namespaces) this.putNamespace(ns, this.startedAt);
    this.addNode(opts.server, this.startedAt);
    this.timers.add(this.startedAt + this.sim(2 * S), (t) => this.startWorkloads(t));
    if (this.plan.diskPressure) this.timers.add(this.startedAt + this.sim(90 * S), (t) => this.diskPressure(t));
    this.timers.add(this.startedAt + this.sim(60 * S), (t) => this.gcEvents(t));
    this.advance(now);
    // What was built while warming up is the starting point, not history a watch could replay.
    this.store.compact();
  }

  /** Scenario seconds to wall milliseconds. */
  sim(ms: number): number {
    return ms / this.timeScale;
  }

  /** Runs everything due up to `now`. */
  advance(now: number): void {
    this.timers.runUntil(now);
    this.clock = Math.max(this.clock, now);
  }

  // ---- nodes -------------------------------------------------------------------------------

  addNode(spec: NodeSpec, at: number): void {
    const existing = this.nodes.get(spec.name);
    if (existing) return;
    const node: SimNode = { ...spec, uid: makeUid(this.rnd), createdAt: at, index: this.nodes.size, heartbeatAt: at };
    this.nodes.set(spec.name, node);
    this.renderNode(node, at);
    this.event({ kind: 'Node', name: node.name, uid: node.name }, 'Normal', 'Starting', 'Starting kubelet.', 'kubelet', node.name, at);
    this.event({ kind: 'Node', name: node.name, uid: node.name }, 'Normal', 'NodeReady', `Node ${node.name} status is now: NodeReady`, 'kubelet', node.name, at);
    const beat = (t: number) => {
      if (!this.nodes.has(node.name)) return;
      this.timers.add(t + this.sim(20 * S), beat);
      if (node.lostSince !== undefined) return;
      node.heartbeatAt = t;
      this.renderNode(node, t);
    };
    this.timers.add(at + this.sim(20 * S), beat);
    // The kubelet's lease in kube-node-lease, renewed every 10 s: what the node controller watches.
    const renew = (t: number) => {
      if (!this.nodes.has(node.name)) return;
      this.timers.add(t + this.sim(10 * S), renew);
      if (node.lostSince === undefined) this.renewLease(node, t);
    };
    renew(at);
    if (at > this.startedAt) {
      for (const w of this.plan.workloads) if (w.kind === 'DaemonSet' && this.enabled(w)) this.createPod(w, node.name, at, 0);
    }
  }

  /** The node's kubelet stopped posting status: the node controller marks it Unknown and taints it. */
  nodeLost(name: string, at: number): void {
    const n = this.nodes.get(name);
    if (!n || name === this.serverName || n.lostSince !== undefined) return;
    n.lostSince = at;
    this.renderNode(n, at);
    this.event({ kind: 'Node', name, uid: name }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, 'node-controller', '', at);
  }

  /** The agent came back (or joined again): Ready again, keeping its pods. */
  nodeBack(spec: NodeSpec, at: number): void {
    const n = this.nodes.get(spec.name);
    if (!n) return this.addNode(spec, at);
    if (n.lostSince === undefined) return;
    n.lostSince = undefined;
    n.heartbeatAt = at;
    this.renderNode(n, at);
    this.event({ kind: 'Node', name: n.name, uid: n.name }, 'Normal', 'NodeReady', `Node ${n.name} status is now: NodeReady`, 'kubelet', n.name, at);
  }

  /**
   * The server box rebooted (a new boot id): every running container died with the machine and is
   * started again by the kubelet, as after a real power cycle (restartCount + 1, lastState Unknown/255).
   */
  nodeRebooted(at: number, bootId: string): void {
    const node = this.nodes.get(this.serverName)!;
    node.bootId = bootId;
    node.heartbeatAt = at;
    this.renderNode(node, at);
    const ref = { kind: 'Node', name: node.name, uid: node.name };
    this.event(ref, 'Warning', 'Rebooted', `Node ${node.name} has been rebooted, boot id: ${bootId}`, 'kubelet', node.name, at);
    this.event(ref, 'Normal', 'Starting', 'Starting kubelet.', 'kubelet', node.name, at);
    let stagger = 0;
    for (const pod of this.pods.values()) {
      if (pod.node !== node.name || pod.evicted || pod.unschedulable) continue;
      const dead = pod.containers.filter((c) => c.current && c.current.endedAt === undefined && c.spec.behaviour !== 'job');
      if (dead.length === 0) continue;
      for (const c of dead) {
        c.last = { ...c.current!, endedAt: at, reason: 'Unknown', exitCode: 255 };
        c.current = undefined;
        c.restarts += 1;
        c.waiting = { reason: 'ContainerCreating' };
      }
      this.renderPod(pod, at);
      stagger += 1;
      this.timers.add(at + this.sim(5 * S) + Math.min(stagger * 200, this.sim(20 * S)), (t) => {
        if (!this.live(pod)) return;
        for (const c of dead) if (!c.current) this.startContainer(pod, c, t);
        this.renderPod(pod, t);
      });
    }
  }

  hasNode(name: string): boolean {
    return this.nodes.has(name);
  }

  private renderNode(n: SimNode, at: number): void {
    const pressure = n.diskPressureSince !== undefined;
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': n.arch,
      'beta.kubernetes.io/instance-type': 'k3s',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': n.arch,
      'kubernetes.io/hostname': n.name,
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': 'k3s',
      ...(n.role === 'server' ? { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' } : {}),
      ...n.labels,
    };
    const taints: Record<string, unknown>[] = [...(n.taints ?? [])];
    if (n.lostSince !== undefined) {
      taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: isoSec(n.lostSince) });
      taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: isoSec(n.lostSince) });
    }
    if (pressure) taints.push({ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule', timeAdded: isoSec(n.diskPressureSince!) });
    const hb = isoSec(n.heartbeatAt);
    const since = isoSec(n.createdAt);
    const lost = n.lostSince !== undefined ? isoSec(n.lostSince) : undefined;
    const cond = (type: string, status: string, reason: string, message: string, changed = since) =>
      lost
        ? { type, status: 'Unknown', lastHeartbeatTime: hb, lastTransitionTime: lost, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }
        : { type, status, lastHeartbeatTime: hb, lastTransitionTime: changed, reason, message };
    const node: KubeObject = {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: {
        name: n.name,
        uid: n.uid,
        creationTimestamp: since,
        labels,
        annotations: {
          'alpha.kubernetes.io/provided-node-ip': n.ip,
          'flannel.alpha.coreos.com/backend-type': 'vxlan',
          'flannel.alpha.coreos.com/public-ip': n.ip,
          'k3s.io/hostname': n.name,
          'k3s.io/internal-ip': n.ip,
          'k3s.io/node-args': JSON.stringify([n.role]),
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        },
      },
      spec: {
        podCIDR: `10.42.${n.index}.0/24`,
        podCIDRs: [`10.42.${n.index}.0/24`],
        providerID: `k3s://${n.name}`,
        ...(taints.length > 0 ? { taints } : {}),
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: n.ip },
          { type: 'Hostname', address: n.name },
        ],
        allocatable: { ...ALLOCATABLE, pods: String(this.plan.podCapacity) },
        capacity: { ...CAPACITY, pods: String(this.plan.podCapacity) },
        conditions: [
          cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          pressure
            ? cond('DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure', isoSec(n.diskPressureSince!))
            : cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        images: [],
        nodeInfo: {
          architecture: n.arch,
          bootID: n.bootId ?? makeUid(seeded(hash32(`${n.uid}:boot`))),
          containerRuntimeVersion: 'containerd://1.7.23-k3s2',
          kernelVersion: `6.1.0-28-${n.arch}`,
          kubeProxyVersion: n.k3sVersion,
          kubeletVersion: n.k3sVersion,
          machineID: n.uid.replace(/-/g, ''),
          operatingSystem: 'linux',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          systemUUID: n.uid,
        },
      },
    };
    void at;
    this.store.put('nodes', node);
  }

  private renewLease(n: SimNode, at: number): void {
    this.store.put('leases', {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: {
        name: n.name,
        namespace: 'kube-node-lease',
        uid: makeUid(seeded(hash32(`${n.uid}:lease`))),
        creationTimestamp: isoSec(n.createdAt),
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: n.uid }],
      },
      spec: { holderIdentity: n.name, leaseDurationSeconds: 40, renewTime: new Date(at).toISOString().replace('Z', '000Z') },
    });
  }

  private diskPressure(t: number): void {
    const node = this.nodes.get(this.serverName)!;
    node.diskPressureSince = t;
    this.renderNode(node, t);
    const ref = { kind: 'Node', name: node.name, uid: node.name };
    this.event(ref, 'Normal', 'NodeHasDiskPressure', `Node ${node.name} status is now: NodeHasDiskPressure`, 'kubelet', node.name, t);
    const evictNext = (at: number) => {
      this.event(ref, 'Warning', 'EvictionThresholdMet', 'Attempting to reclaim ephemeral-storage', 'kubelet', node.name, at);
      this.event(
        ref,
        'Warning',
        'FreeDiskSpaceFailed',
        'Failed to garbage collect required amount of images. Attempted to free 4512837632 bytes, but only found 0 bytes eligible to free.',
        'kubelet',
        node.name,
        at,
      );
      // Besteffort pods in the workload namespace go first, as the kubelet ranks them.
      const victim = [...this.pods.values()].find((p) => p.namespace === 'edge' && !p.evicted && !p.unschedulable && p.workload.kind === 'Deployment');
      if (victim) this.evict(victim, at);
      this.timers.add(at + this.sim(30 * S), evictNext);
    };
    this.timers.add(t + this.sim(5 * S), evictNext);
  }

  private evict(pod: SimPod, at: number): void {
    const c0 = pod.containers[0]!;
    const message = `The node was low on resource: ephemeral-storage. Threshold quantity: 6120224563, available: 5183412Ki. Container ${c0.spec.name} was using 1843200Ki, request is 0, has larger consumption of ephemeral-storage. `;
    pod.evicted = { at, message };
    for (const c of pod.containers) {
      if (c.current && c.current.endedAt === undefined) {
        c.current.endedAt = at;
        c.current.reason = 'ContainerStatusUnknown';
        c.current.exitCode = 137;
      }
      c.waiting = undefined;
    }
    this.renderPod(pod, at);
    this.event(this.podRef(pod), 'Warning', 'Evicted', message, 'kubelet', pod.node, at);
    this.event(this.podRef(pod, c0), 'Normal', 'Killing', `Stopping container ${c0.spec.name}`, 'kubelet', pod.node, at);
    // Its ReplicaSet replaces it at once; the taint keeps the replacement from scheduling.
    this.createPod(pod.workload, pod.node, at, 0, pod.ownerName);
  }

  // ---- workloads ---------------------------------------------------------------------------

  private enabled(w: WorkloadSpec): boolean {
    return !w.component || !this.flags.disable.has(w.component);
  }

  private startWorkloads(t: number): void {
    let offset = 0;
    for (const w of this.plan.workloads) {
      if (!this.enabled(w)) continue;
      if (w.kind === 'CronJob') {
        const run = (at: number) => {
          this.cronJob(w, at);
          this.timers.add(at + this.sim(60 * S), run);
        };
        this.timers.add(t + this.sim(30 * S), run);
        continue;
      }
      const nodes = w.kind === 'DaemonSet' ? [...this.nodes.keys()] : [this.serverName];
      const replicas = w.kind === 'DaemonSet' ? nodes.length : w.replicas;
      for (let i = 0; i < replicas; i++) {
        // Stagger starts a little, as a real node pulls and starts them one after another.
        this.createPod(w, nodes[i % nodes.length]!, t + Math.min(offset, this.sim(20 * S)), i);
        offset += 3;
      }
    }
  }

  private cronJob(w: WorkloadSpec, at: number): void {
    // Jobs are named for their scheduled minute in scenario time, so names stay unique when it runs fast.
    this.cronCount += 1;
    const minute = Math.floor(this.startedAt / 60_000) + this.cronCount;
    const pod = this.createPod(w, this.serverName, at, 0, `${w.name}-${minute}`);
    this.cronRuns.push(pod.key);
    // The CronJob keeps three finished jobs, like successfulJobsHistoryLimit's default.
    while (this.cronRuns.length > 3) {
      const old = this.pods.get(this.cronRuns.shift()!);
      if (old) this.deletePod(old);
    }
  }

  private createPod(w: WorkloadSpec, node: string, at: number, index: number, ownerOverride?: string): SimPod {
    const rsHash = suffix(seeded(hash32(`${w.namespace}/${w.name}/rs`)), 10);
    let ownerName = ownerOverride ?? w.name;
    let ownerKind = w.kind === 'DaemonSet' ? 'DaemonSet' : 'Job';
    let name: string;
    if (w.kind === 'Deployment') {
      ownerKind = 'ReplicaSet';
      ownerName = ownerOverride ?? `${w.name}-${rsHash}`;
      name = `${ownerName}-${suffix(this.rnd, 5)}`;
    } else {
      name = `${ownerName}-${suffix(this.rnd, 5)}`;
    }
    const nodeIndex = this.nodes.get(node)?.index ?? 0;
    const pod: SimPod = {
      key: `${w.namespace}/${name}`,
      namespace: w.namespace,
      name,
      uid: makeUid(this.rnd),
      node,
      workload: w,
      ownerName,
      ownerKind,
      createdAt: at,
      ip: `10.42.${nodeIndex}.${(this.nextIp++ % 250) + 2}`,
      containers: w.containers.map((spec) => ({
        spec,
        restarts: 0,
        containerId: `containerd://${hash32(`${name}/${spec.name}/0`).toString(16).padStart(8, '0')}${suffix(this.rnd, 8)}`,
        pullAttempts: 0,
      })),
    };
    void index;
    this.pods.set(pod.key, pod);
    // The disk-pressure taint keeps new work off the node, as the scheduler would (DaemonSets tolerate it).
    if (w.kind !== 'DaemonSet' && this.nodes.get(node)?.diskPressureSince !== undefined) {
      pod.unschedulable = { at, message: UNSCHEDULABLE_DISK };
      this.renderPod(pod, at);
      this.event(this.podRef(pod), 'Warning', 'FailedScheduling', pod.unschedulable.message, 'default-scheduler', '', at);
      return pod;
    }
    this.event(this.podRef(pod), 'Normal', 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`, 'default-scheduler', '', at);
    for (const c of pod.containers) this.startContainer(pod, c, at);
    this.renderPod(pod, at);
    return pod;
  }

  private deletePod(pod: SimPod): void {
    this.pods.delete(pod.key);
    this.store.remove('pods', pod.key);
  }

  private live(pod: SimPod): boolean {
    return this.pods.get(pod.key) === pod && !pod.evicted && !pod.unschedulable;
  }

  private startContainer(pod: SimPod, c: SimContainer, at: number): void {
    const b = c.spec.behaviour;
    const ref = this.podRef(pod, c);
    if (b === 'imagepull') {
      this.pullFails(pod, c, at);
      return;
    }
    if (c.restarts === 0) {
      this.event(ref, 'Normal', 'Pulling', `Pulling image "${c.spec.image}"`, 'kubelet', pod.node, at);
      this.event(ref, 'Normal', 'Pulled', `Successfully pulled image "${c.spec.image}" in 1.204s (1.204s including waiting). Image size: 18235642 bytes.`, 'kubelet', pod.node, at);
    } else {
      this.event(ref, 'Normal', 'Pulled', `Container image "${c.spec.image}" already present on machine`, 'kubelet', pod.node, at);
    }
    this.event(ref, 'Normal', 'Created', `Created container: ${c.spec.name}`, 'kubelet', pod.node, at);
    this.event(ref, 'Normal', 'Started', `Started container ${c.spec.name}`, 'kubelet', pod.node, at);
    const inst: Instance = { startedAt: at };
    c.current = inst;
    c.waiting = undefined;
    const runFor = b === 'crash' ? 6 * S : b === 'oom' ? 12 * S : b === 'job' ? 8 * S : 0;
    if (runFor > 0) {
      this.timers.add(at + this.sim(runFor), (t) => {
        // Only the instance this timer was set for: a reboot may have replaced it meanwhile.
        if (this.live(pod) && c.current === inst) this.stopContainer(pod, c, t);
      });
    }
  }

  private stopContainer(pod: SimPod, c: SimContainer, at: number): void {
    const b = c.spec.behaviour;
    const cur = c.current!;
    cur.endedAt = at;
    if (b === 'job') {
      cur.reason = 'Completed';
      cur.exitCode = 0;
      this.renderPod(pod, at);
      return;
    }
    cur.reason = b === 'oom' ? 'OOMKilled' : 'Error';
    cur.exitCode = b === 'oom' ? 137 : 2;
    c.last = cur;
    c.current = undefined;
    c.restarts += 1;
    const backoffS = Math.min(10 * 2 ** (c.restarts - 1), 300);
    c.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${fmtBackoff(backoffS)} restarting failed container=${c.spec.name} pod=${pod.name}_${pod.namespace}(${pod.uid})` };
    c.containerId = `containerd://${hash32(`${pod.name}/${c.spec.name}/${c.restarts}`).toString(16).padStart(8, '0')}${suffix(this.rnd, 8)}`;
    this.renderPod(pod, at);
    this.event(
      this.podRef(pod, c),
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${c.spec.name} in pod ${pod.name}_${pod.namespace}(${pod.uid})`,
      'kubelet',
      pod.node,
      at,
    );
    this.timers.add(at + this.sim(backoffS * S), (t) => {
      if (!this.live(pod)) return;
      this.startContainer(pod, c, t);
      this.renderPod(pod, t);
    });
  }

  private pullFails(pod: SimPod, c: SimContainer, at: number): void {
    const ref = this.podRef(pod, c);
    c.pullAttempts += 1;
    const err = `failed to pull and unpack image "${c.spec.image}": failed to resolve reference "${c.spec.image}": ${c.spec.image}: not found`;
    this.event(ref, 'Normal', 'Pulling', `Pulling image "${c.spec.image}"`, 'kubelet', pod.node, at);
    this.event(ref, 'Warning', 'Failed', `Failed to pull image "${c.spec.image}": rpc error: code = NotFound desc = ${err}`, 'kubelet', pod.node, at);
    this.event(ref, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet', pod.node, at);
    c.waiting = { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = ${err}` };
    this.renderPod(pod, at);
    this.timers.add(at + this.sim(3 * S), (t) => {
      if (!this.live(pod)) return;
      const backoffS = Math.min(10 * 2 ** (c.pullAttempts - 1), 300);
      c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.spec.image}": ErrImagePull: ${err}` };
      this.event(ref, 'Normal', 'BackOff', `Back-off pulling image "${c.spec.image}"`, 'kubelet', pod.node, t);
      this.event(ref, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet', pod.node, t);
      this.renderPod(pod, t);
      this.timers.add(t + this.sim(backoffS * S), (t2) => {
        if (this.live(pod)) this.pullFails(pod, c, t2);
      });
    });
  }

  private podRef(pod: SimPod, c?: SimContainer) {
    return { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, ...(c ? { fieldPath: `spec.containers{${c.spec.name}}` } : {}) };
  }

  private renderPod(pod: SimPod, at: number): void {
    const w = pod.workload;
    const node = this.nodes.get(pod.node);
    const statuses = pod.containers.map((c) => containerStatus(c));
    const allRunning = pod.containers.every((c) => c.current && c.current.endedAt === undefined);
    const jobDone = w.kind === 'Job' || w.kind === 'CronJob' ? pod.containers.every((c) => c.current?.reason === 'Completed') : false;
    let phase = 'Running';
    if (pod.evicted) phase = 'Failed';
    else if (pod.unschedulable) phase = 'Pending';
    else if (jobDone) phase = 'Succeeded';
    else if (pod.containers.some((c) => !c.current && !c.last)) phase = 'Pending';
    const ready = phase === 'Running' && allRunning;
    const lastChange = isoSec(Math.max(pod.createdAt, ...pod.containers.map((c) => c.current?.endedAt ?? c.current?.startedAt ?? c.last?.endedAt ?? 0)));
    const created = isoSec(pod.createdAt);
    const conditions = pod.unschedulable
      ? [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: created, reason: 'Unschedulable', message: pod.unschedulable.message }]
      : [
          { type: 'PodReadyToStartContainers', status: pod.evicted ? 'False' : 'True', lastProbeTime: null, lastTransitionTime: created },
          { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: created },
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            lastProbeTime: null,
            lastTransitionTime: lastChange,
            ...(ready
              ? {}
              : {
                  reason: jobDone ? 'PodCompleted' : 'ContainersNotReady',
                  message: jobDone
                    ? undefined
                    : `containers with unready status: [${pod.containers
                        .filter((c) => !c.current || c.current.endedAt !== undefined)
                        .map((c) => c.spec.name)
                        .join(' ')}]`,
                }),
          },
          {
            type: 'ContainersReady',
            status: ready ? 'True' : 'False',
            lastProbeTime: null,
            lastTransitionTime: lastChange,
            ...(ready ? {} : { reason: jobDone ? 'PodCompleted' : 'ContainersNotReady' }),
          },
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: created },
        ];
    const qos = w.containers.every((c) => c.requests === false) ? 'BestEffort' : w.containers.every((c) => c.memLimitMi) ? 'Guaranteed' : 'Burstable';
    const obj: KubeObject = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: pod.name,
        generateName: `${pod.ownerName}-`,
        namespace: pod.namespace,
        uid: pod.uid,
        creationTimestamp: created,
        labels: {
          ...(w.labels ?? { app: w.name }),
          ...(w.kind === 'Deployment' ? { 'pod-template-hash': pod.ownerName.slice(w.name.length + 1) } : {}),
          ...(w.kind === 'Job' || w.kind === 'CronJob' ? { 'batch.kubernetes.io/job-name': pod.ownerName, 'job-name': pod.ownerName } : {}),
        },
        ownerReferences: [
          {
            apiVersion: pod.ownerKind === 'Job' ? 'batch/v1' : 'apps/v1',
            kind: pod.ownerKind,
            name: pod.ownerName,
            uid: makeUid(seeded(hash32(`${pod.namespace}/${pod.ownerName}`))),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        containers: w.containers.map((c) => ({
          name: c.name,
          image: c.image,
          imagePullPolicy: 'IfNotPresent',
          resources: {
            ...(c.requests === false ? {} : { requests: { cpu: `${Math.max(10, c.cpuMilli)}m`, memory: `${Math.max(16, c.memMi)}Mi` } }),
            ...(c.memLimitMi ? { limits: { memory: `${c.memLimitMi}Mi` } } : {}),
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        })),
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        ...(pod.unschedulable ? {} : { nodeName: pod.node }),
        preemptionPolicy: 'PreemptLowerPriority',
        priority: pod.namespace === 'kube-system' ? 2000000000 : 0,
        ...(pod.namespace === 'kube-system' ? { priorityClassName: 'system-cluster-critical' } : {}),
        restartPolicy: w.kind === 'Job' || w.kind === 'CronJob' ? 'OnFailure' : 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        serviceAccount: 'default',
        serviceAccountName: 'default',
        terminationGracePeriodSeconds: 30,
        tolerations: [
          { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
          { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
        ],
      },
      status: {
        phase,
        conditions,
        qosClass: qos,
        ...(pod.evicted ? { reason: 'Evicted', message: pod.evicted.message } : {}),
        ...(pod.unschedulable
          ? {}
          : {
              hostIP: node?.ip,
              hostIPs: node ? [{ ip: node.ip }] : [],
              podIP: pod.evicted ? undefined : pod.ip,
              podIPs: pod.evicted ? undefined : [{ ip: pod.ip }],
              startTime: created,
              containerStatuses: statuses,
            }),
      },
    };
    void at;
    this.store.put('pods', stripUndefined(obj));
  }

  private putNamespace(name: string, at: number): void {
    this.store.put('namespaces', {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name, uid: makeUid(this.rnd), creationTimestamp: isoSec(at), labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  // ---- events ------------------------------------------------------------------------------

  /** Records an event; the same reason and message on the same object bumps count, as the recorder does. */
  event(
    ref: { kind: string; name: string; uid: string; namespace?: string; fieldPath?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    host: string,
    at: number,
  ): void {
    const namespace = ref.namespace ?? 'default';
    const dedupe = `${ref.uid}|${ref.fieldPath ?? ''}|${reason}|${message}`;
    const prev = this.events.get(dedupe);
    const ts = isoSec(at);
    let obj: KubeObject;
    if (prev) {
      obj = { ...prev.obj, count: (prev.obj.count as number) + 1, lastTimestamp: ts };
      this.events.delete(dedupe);
    } else {
      // As the recorder names them (name.<unix nanos in hex>); the sequence keeps same-instant events apart.
      const name = `${ref.name}.${(BigInt(Math.floor(at)) * 1_000_000n + BigInt(this.eventSeq++ % 1_000_000)).toString(16)}`;
      obj = {
        kind: 'Event',
        apiVersion: 'v1',
        metadata: { name, namespace, uid: makeUid(this.rnd), creationTimestamp: ts },
        involvedObject: { kind: ref.kind, namespace: ref.namespace, name: ref.name, uid: ref.uid, apiVersion: 'v1', ...(ref.fieldPath ? { fieldPath: ref.fieldPath } : {}) },
        reason,
        message,
        source: { component, ...(host ? { host } : {}) },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: host,
      };
    }
    const stored = this.store.put('events', stripUndefined(obj));
    this.events.set(dedupe, { key: `${namespace}/${stored.metadata.name}`, obj: stored });
    while (this.events.size > this.maxEvents) {
      const [oldest, rec] = this.events.entries().next().value as [string, EventRecord];
      this.events.delete(oldest);
      this.store.remove('events', rec.key);
    }
  }

  /** Events live an hour, as with the API server's default --event-ttl. */
  private gcEvents(t: number): void {
    for (const [k, rec] of this.events) {
      if (Date.parse(rec.obj.lastTimestamp as string) < t - 3600 * S) {
        this.events.delete(k);
        this.store.remove('events', rec.key);
      }
    }
    this.timers.add(t + 60 * S, (t2) => this.gcEvents(t2));
  }

  // ---- what logs and metrics read ------------------------------------------------------------

  podContainers(namespace: string, name: string): { names: string[]; pod: SimPod } | undefined {
    const pod = this.pods.get(`${namespace}/${name}`);
    return pod ? { names: pod.containers.map((c) => c.spec.name), pod } : undefined;
  }

  /** The log instance for a container: current (or latest finished), or previous. */
  logInstance(namespace: string, pod: string, container: string, previous: boolean): LogInstance | { waiting: string } | undefined {
    const p = this.pods.get(`${namespace}/${pod}`);
    const c = p?.containers.find((x) => x.spec.name === container);
    if (!p || !c) return undefined;
    // A container waiting in CrashLoopBackOff shows the logs of the instance that just died, as kubelet does.
    const inst = previous ? c.last : (c.current ?? c.last);
    if (!inst) return { waiting: c.waiting?.reason ?? 'ContainerCreating' };
    return {
      seed: `${p.uid}/${c.spec.name}/${inst.startedAt}`,
      behaviour: c.spec.behaviour,
      image: c.spec.image,
      startedAt: inst.startedAt,
      endedAt: inst.endedAt,
      endReason: inst.reason,
      periodMs: this.sim(c.spec.logEverySec * S),
    };
  }

  /** Usage as metrics-server reports it: nanocores and KiB, wobbling around each container's base. */
  usage(now: number): { nodes: Map<string, { cpuN: number; memKi: number }>; pods: { pod: SimPod; containers: { name: string; cpuN: number; memKi: number }[] }[] } {
    const nodes = new Map<string, { cpuN: number; memKi: number }>();
    for (const n of this.nodes.values()) if (n.lostSince === undefined) nodes.set(n.name, { cpuN: 180_000_000, memKi: 900_000 });
    const pods: { pod: SimPod; containers: { name: string; cpuN: number; memKi: number }[] }[] = [];
    for (const pod of this.pods.values()) {
      if (pod.evicted || pod.unschedulable) continue;
      const running = pod.containers.filter((c) => c.current && c.current.endedAt === undefined);
      if (running.length === 0) continue;
      const containers = running.map((c) => {
        const wobble = 1 + 0.2 * Math.sin(now / 15_000 + (hash32(pod.uid + c.spec.name) % 100));
        let memMi = c.spec.memMi * (1 + 0.05 * wobble);
        if (c.spec.behaviour === 'oom' && c.spec.memLimitMi) {
          // Climbs toward its limit until the kernel kills it.
          const frac = Math.min(1, (now - c.current!.startedAt) / this.sim(12 * S));
          memMi = c.spec.memMi * 0.4 + (c.spec.memLimitMi - c.spec.memMi * 0.4) * frac;
        }
        return { name: c.spec.name, cpuN: Math.round(Math.max(0.1, c.spec.cpuMilli * wobble) * 1e6), memKi: Math.round(Math.max(1, memMi) * 1024) };
      });
      const n = nodes.get(pod.node);
      if (n)
        for (const u of containers) {
          n.cpuN += u.cpuN;
          n.memKi += u.memKi;
        }
      pods.push({ pod, containers });
    }
    return { nodes, pods };
  }
}

function fmtBackoff(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

function containerStatus(c: SimContainer): Record<string, unknown> {
  const term = (i: Instance) => ({
    terminated: { exitCode: i.exitCode, reason: i.reason, startedAt: isoSec(i.startedAt), finishedAt: isoSec(i.endedAt!), containerID: c.containerId },
  });
  let state: Record<string, unknown>;
  if (c.current && c.current.endedAt === undefined) state = { running: { startedAt: isoSec(c.current.startedAt) } };
  else if (c.current) state = term(c.current);
  else state = { waiting: { reason: c.waiting?.reason ?? 'ContainerCreating', ...(c.waiting?.message ? { message: c.waiting.message } : {}) } };
  const running = 'running' in state;
  return {
    name: c.spec.name,
    image: c.spec.image,
    imageID: c.spec.behaviour === 'imagepull' ? '' : `${c.spec.image.split(':')[0]}@sha256:${hash32(c.spec.image).toString(16).padStart(8, '0').repeat(8)}`,
    ...(c.current || c.last ? { containerID: c.containerId } : {}),
    ready: running,
    started: running,
    restartCount: c.restarts,
    state,
    lastState: c.last ? term(c.last) : {},
  };
}

function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
