/**
 * Discovery documents (legacy, unaggregated: kubectl falls back to them when the response is plain
 * application/json), /version, and a small OpenAPI so clients that ask for it get a valid answer.
 * Verbs are the truth about this server: read-only, get/list/watch.
 */

const READ = ['get', 'list', 'watch'];

export function versionInfo(k3sVersion: string, arch: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)\./.exec(k3sVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion: k3sVersion,
    gitCommit: '8a34d2e8f19ce8fb0fd1b5c5bd0a3e1e7c41fb08',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T22:19:49Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: `linux/${arch}`,
  };
}

export function apiVersions(ip: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${ip}:6443` }] };
}

export function coreResources(): unknown {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: READ, shortNames: ['ev'] },
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: READ, shortNames: ['ns'] },
      { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: READ, shortNames: ['no'] },
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: READ, shortNames: ['po'], categories: ['all'] },
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    ],
  };
}

export const METRICS_GV = 'metrics.k8s.io/v1beta1';
export const LEASE_GV = 'coordination.k8s.io/v1';

function group(groupVersion: string, ip: string) {
  const [name, version] = groupVersion.split('/') as [string, string];
  return {
    name,
    versions: [{ groupVersion, version }],
    preferredVersion: { groupVersion, version },
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${ip}:6443` }],
  };
}

export function apiGroups(withMetrics: boolean, ip: string): unknown {
  const groups = [group(LEASE_GV, ip), ...(withMetrics ? [group(METRICS_GV, ip)] : [])];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function leaseResources(): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: LEASE_GV,
    resources: [{ name: 'leases', singularName: 'lease', namespaced: true, kind: 'Lease', verbs: READ }],
  };
}

export function metricsResources(): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: METRICS_GV,
    resources: [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ],
  };
}

const gvk = (group: string, version: string, kind: string) => ({ 'x-kubernetes-group-version-kind': [{ group, version, kind }] });

/** Schemas that name our kinds; enough for clients that index OpenAPI by group/version/kind. */
function definitions(): Record<string, unknown> {
  const obj = (kind: string, group = '', version = 'v1') => ({
    type: 'object',
    description: `${kind} (lab API server: read-only).`,
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object' }, status: { type: 'object' } },
    ...gvk(group, version, kind),
  });
  return {
    'io.k8s.api.core.v1.Pod': obj('Pod'),
    'io.k8s.api.core.v1.Node': obj('Node'),
    'io.k8s.api.core.v1.Event': obj('Event'),
    'io.k8s.api.core.v1.Namespace': obj('Namespace'),
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics': obj('NodeMetrics', 'metrics.k8s.io', 'v1beta1'),
    'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics': obj('PodMetrics', 'metrics.k8s.io', 'v1beta1'),
  };
}

export function openApiV2(k3sVersion: string): unknown {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: k3sVersion }, paths: {}, definitions: definitions() };
}

export function openApiV3Index(): unknown {
  return {
    paths: {
      'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=FIELDLINKLAB1' },
      'apis/metrics.k8s.io/v1beta1': { serverRelativeURL: '/openapi/v3/apis/metrics.k8s.io/v1beta1?hash=FIELDLINKLAB1' },
    },
  };
}

export function openApiV3Doc(k3sVersion: string): unknown {
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: k3sVersion }, paths: {}, components: { schemas: definitions() } };
}
