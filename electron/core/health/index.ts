export {
  ApiSession,
  keptCredentials,
  loadClientNode,
  healthOf,
  healthOverApi,
  healthOverShell,
  kubeConfigFor,
  parseDf,
  PAGE,
  type HealthOptions,
  type CredentialCache,
} from './collect.ts';
export { diagnose, bytes, duration, type DiagnosisInput } from './diagnosis.ts';
export { K3S_KUBECONFIG, K3S_SERVER_NAME, parseKubeconfig, readKubeconfig, tunnelKubeconfig, certInfo, type BoxKubeconfig, type BoxClock } from './kubeconfig.ts';
export {
  buildModel,
  quantity,
  MAX_PODS,
  MAX_EVENTS,
  type HealthSnapshot,
  type Diagnosis,
  type NodeHealth,
  type PodHealth,
  type ContainerHealth,
  type EventHealth,
  type RawHealth,
} from './model.ts';
export { openTunnel, canForward, type Tunnel, type Forwarding } from './tunnel.ts';
export { LiveHealth, type LiveState, type LiveUpdate, type LiveConnection, type LiveHealthOptions } from './live.ts';
export { SnapshotStore, snapshotFileName, MAX_SNAPSHOT_BYTES } from './snapshots.ts';
export { podLogs, savePodLog, MAX_LOG_LINE, type PodLogOptions } from './podlogs.ts';
export { HealthWatchers, healthWordOf, type WatcherDeps, type PodLogQuery } from './watchers.ts';
export { healthHandlers } from './handlers.ts';
