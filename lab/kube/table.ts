import type { KubeObject, Resource } from './store.ts';

/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns and
 * cells the real API server's printers produce, so `kubectl get` prints what people expect.
 */

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type: string, description: string, priority = 0, format = ''): Column => ({ name, type, format, description, priority });
const NAME = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const AGE = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export const COLUMNS: Record<Resource, Column[]> = {
  nodes: [
    NAME,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('OS-Image', 'string', 'OS Image reported by the node.', 1),
    col('Kernel-Version', 'string', 'Kernel Version reported by the node.', 1),
    col('Container-Runtime', 'string', 'Container Runtime Version reported by the node.', 1),
  ],
  pods: [
    NAME,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'string', 'IP address allocated to the pod.', 1),
    col('Node', 'string', 'Name of the node the pod is assigned to.', 1),
    col('Nominated Node', 'string', 'Name of the node the pod is nominated to.', 1),
    col('Readiness Gates', 'string', 'The readiness gates of the pod.', 1),
  ],
  events: [
    col('Last Seen', 'string', 'The last time this event was recorded.'),
    col('Type', 'string', 'Type of this event.'),
    col('Reason', 'string', 'Short, machine understandable string that gives the reason for the transition.'),
    col('Object', 'string', 'The object this event is about.'),
    col('Subobject', 'string', 'The subobject this event is about.', 1),
    col('Source', 'string', 'The component reporting this event.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The first time this event was recorded.', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    col('Name', 'string', 'Name must be unique within a namespace.', 1, 'name'),
  ],
  namespaces: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
  leases: [NAME, col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE],
};

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function age(ts: string | undefined, now: number): string {
  return ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

function nodeCells(o: Any, now: number): unknown[] {
  const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
  let status = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
  if (o.spec?.unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .sort();
  const addr = (t: string) => (o.status?.addresses ?? []).find((a: Any) => a.type === t)?.address ?? '<none>';
  const info = o.status?.nodeInfo ?? {};
  return [
    o.metadata.name,
    status,
    roles.length ? roles.join(',') : '<none>',
    age(o.metadata.creationTimestamp, now),
    info.kubeletVersion,
    addr('InternalIP'),
    addr('ExternalIP'),
    info.osImage,
    info.kernelVersion,
    info.containerRuntimeVersion,
  ];
}

/** printPod from pkg/printers/internalversion: the STATUS and RESTARTS kubectl users know. */
function podCells(o: Any, now: number): unknown[] {
  const statuses: Any[] = o.status?.containerStatuses ?? [];
  let reason: string = o.status?.reason || o.status?.phase || 'Unknown';
  let restarts = 0;
  let lastRestart = 0;
  let ready = 0;
  let hasRunning = false;
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i]!;
    restarts += c.restartCount ?? 0;
    const fin = c.lastState?.terminated?.finishedAt;
    if (fin) lastRestart = Math.max(lastRestart, Date.parse(fin));
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
    else if (c.ready && c.state?.running) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning) reason = 'Running';
  if (o.status?.reason === 'Evicted') reason = 'Evicted';
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  const restartCell = lastRestart > 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  const total = (o.spec?.containers ?? []).length;
  return [
    o.metadata.name,
    `${ready}/${total}`,
    reason,
    restartCell,
    age(o.metadata.creationTimestamp, now),
    o.status?.podIP ?? '<none>',
    o.spec?.nodeName ?? '<none>',
    o.status?.nominatedNodeName ?? '<none>',
    '<none>',
  ];
}

function eventCells(o: Any, now: number): unknown[] {
  const inv = o.involvedObject ?? {};
  const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
  const first = o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
  const count = o.count ?? 1;
  const lastSeen = count > 1 ? `${age(last, now)} (x${count} over ${age(first, now)})` : age(last, now);
  const source = [o.source?.component, o.source?.host].filter(Boolean).join(', ') || o.reportingComponent || '';
  return [lastSeen, o.type, o.reason, `${String(inv.kind ?? '').toLowerCase()}/${inv.name ?? ''}`, inv.fieldPath ?? '', source, o.message, age(first, now), count, o.metadata.name];
}

export function tableCells(resource: Resource, obj: KubeObject, now: number): unknown[] {
  const o = obj as Any;
  switch (resource) {
    case 'nodes':
      return nodeCells(o, now);
    case 'pods':
      return podCells(o, now);
    case 'events':
      return eventCells(o, now);
    case 'namespaces':
      return [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp, now)];
    case 'leases':
      return [o.metadata.name, o.spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)];
  }
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function tableRow(resource: Resource, obj: KubeObject, include: IncludeObject, now: number): Any {
  const row: Any = { cells: tableCells(resource, obj, now) };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  return row;
}

export function toTable(
  resource: Resource,
  objs: readonly KubeObject[],
  meta: { resourceVersion: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  now: number,
  withColumns = true,
): Any {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: withColumns ? COLUMNS[resource] : null,
    rows: objs.map((o) => tableRow(resource, o, include, now)),
  };
}
