/**
 * The lab's Kubernetes API: one hub process serving every box's k3s-like API server (see README.md).
 * Other lab code starts it as a process (`node lab/kube/hub.ts --state DIR`) and talks to it only
 * through files in each box folder; these exports are for tests and tools that embed it.
 */
export { Hub, startHub, type HubOptions } from './hub.ts';
export { ServerJson, SCENARIOS, readServerJson, parseK3sArgs, type Scenario, type K3sFlags } from './box-config.ts';
export { boxPaths, tokenMatches } from './box-files.ts';
export { k3sSans } from './certs.ts';
export { Cluster, type ClusterOptions } from './cluster.ts';
