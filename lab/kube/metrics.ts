import type { Cluster } from './cluster.ts';
import type { Matcher } from './selectors.ts';
import type { KubeObject } from './store.ts';
import { isoSec } from './random.ts';
import { METRICS_GV } from './discovery.ts';

/** metrics.k8s.io/v1beta1 as metrics-server serves it: a 10 s window, nanocores and KiB. */

export function nodeMetrics(cluster: Cluster, now: number, labels: Matcher, name?: string): KubeObject[] {
  const usage = cluster.usage(now).nodes;
  const out: KubeObject[] = [];
  for (const node of cluster.store.list('nodes').items) {
    if (name !== undefined && node.metadata.name !== name) continue;
    if (!labels(node)) continue;
    const u = usage.get(node.metadata.name);
    if (!u) continue;
    out.push({
      kind: 'NodeMetrics',
      apiVersion: METRICS_GV,
      metadata: { name: node.metadata.name, uid: '', creationTimestamp: isoSec(now), labels: node.metadata.labels },
      timestamp: isoSec(now - 5000),
      window: '10.052s',
      usage: { cpu: `${u.cpuN}n`, memory: `${u.memKi}Ki` },
    });
  }
  return out;
}

export function podMetrics(cluster: Cluster, now: number, labels: Matcher, namespace?: string, name?: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const { pod, containers } of cluster.usage(now).pods) {
    if (namespace !== undefined && pod.namespace !== namespace) continue;
    if (name !== undefined && pod.name !== name) continue;
    const obj = cluster.store.get('pods', pod.key);
    if (!obj || !labels(obj)) continue;
    out.push({
      kind: 'PodMetrics',
      apiVersion: METRICS_GV,
      metadata: { name: pod.name, namespace: pod.namespace, uid: '', creationTimestamp: isoSec(now), labels: obj.metadata.labels },
      timestamp: isoSec(now - 5000),
      window: '10.052s',
      containers: containers.map((c) => ({ name: c.name, usage: { cpu: `${c.cpuN}n`, memory: `${c.memKi}Ki` } })),
    });
  }
  return out.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
}
