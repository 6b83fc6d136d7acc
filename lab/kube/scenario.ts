import type { Scenario } from './box-config.ts';

/** How a container behaves over time in the simulation. */
export type Behaviour = 'ok' | 'crash' | 'oom' | 'imagepull' | 'job';

export interface ContainerSpec {
  name: string;
  image: string;
  behaviour: Behaviour;
  cpuMilli: number;
  memMi: number;
  memLimitMi?: number;
  /** Seconds of scenario time between two log lines. */
  logEverySec: number;
  /** Besteffort pods go first when the node evicts. */
  requests?: boolean;
}

export interface WorkloadSpec {
  namespace: string;
  kind: 'Deployment' | 'DaemonSet' | 'Job' | 'CronJob';
  name: string;
  replicas: number;
  containers: ContainerSpec[];
  /** k3s component that ships it; absent when the flag `--disable <it>` is given. */
  component?: string;
  labels?: Record<string, string>;
}

export interface ScenarioPlan {
  namespaces: string[];
  workloads: WorkloadSpec[];
  diskPressure: boolean;
  /** Max pods on the node (capacity.pods); big scenarios raise it as a real operator would. */
  podCapacity: number;
}

const c = (name: string, image: string, behaviour: Behaviour, cpuMilli: number, memMi: number, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name,
  image,
  behaviour,
  cpuMilli,
  memMi,
  logEverySec: 5,
  requests: true,
  ...extra,
});

function systemWorkloads(): WorkloadSpec[] {
  return [
    {
      namespace: 'kube-system',
      kind: 'Deployment',
      name: 'coredns',
      replicas: 1,
      component: 'coredns',
      labels: { 'k8s-app': 'kube-dns' },
      containers: [c('coredns', 'rancher/mirrored-coredns-coredns:1.12.0', 'ok', 3, 18, { memLimitMi: 170, logEverySec: 30 })],
    },
    {
      namespace: 'kube-system',
      kind: 'Deployment',
      name: 'local-path-provisioner',
      replicas: 1,
      component: 'local-storage',
      labels: { app: 'local-path-provisioner' },
      containers: [c('local-path-provisioner', 'rancher/local-path-provisioner:v0.0.30', 'ok', 1, 8, { logEverySec: 60 })],
    },
    {
      namespace: 'kube-system',
      kind: 'Deployment',
      name: 'metrics-server',
      replicas: 1,
      component: 'metrics-server',
      labels: { 'k8s-app': 'metrics-server' },
      containers: [c('metrics-server', 'rancher/mirrored-metrics-server:v0.7.2', 'ok', 6, 22, { logEverySec: 60 })],
    },
    {
      namespace: 'kube-system',
      kind: 'Job',
      name: 'helm-install-traefik-crd',
      replicas: 1,
      component: 'traefik',
      containers: [c('helm', 'rancher/klipper-helm:v0.9.3-build20241008', 'job', 0, 0)],
    },
    {
      namespace: 'kube-system',
      kind: 'Job',
      name: 'helm-install-traefik',
      replicas: 1,
      component: 'traefik',
      containers: [c('helm', 'rancher/klipper-helm:v0.9.3-build20241008', 'job', 0, 0)],
    },
    {
      namespace: 'kube-system',
      kind: 'Deployment',
      name: 'traefik',
      replicas: 1,
      component: 'traefik',
      labels: { 'app.kubernetes.io/name': 'traefik' },
      containers: [c('traefik', 'rancher/mirrored-library-traefik:2.11.18', 'ok', 2, 30, { logEverySec: 20 })],
    },
    {
      namespace: 'kube-system',
      kind: 'DaemonSet',
      name: 'svclb-traefik',
      replicas: 1,
      component: 'traefik',
      labels: { app: 'svclb-traefik' },
      containers: [
        c('lb-tcp-80', 'rancher/klipper-lb:v0.4.9', 'ok', 0, 1, { logEverySec: 120, requests: false }),
        c('lb-tcp-443', 'rancher/klipper-lb:v0.4.9', 'ok', 0, 1, { logEverySec: 120, requests: false }),
      ],
    },
  ];
}

function edgeApps(): WorkloadSpec[] {
  return [
    {
      namespace: 'edge',
      kind: 'Deployment',
      name: 'edge-agent',
      replicas: 2,
      labels: { app: 'edge-agent' },
      containers: [c('agent', 'registry.local:5000/edge/agent:3.2.0', 'ok', 12, 48, { memLimitMi: 128 })],
    },
    {
      namespace: 'edge',
      kind: 'Deployment',
      name: 'mqtt-broker',
      replicas: 1,
      labels: { app: 'mqtt-broker' },
      containers: [c('mosquitto', 'eclipse-mosquitto:2.0.20', 'ok', 5, 12, { logEverySec: 8 })],
    },
    {
      namespace: 'edge',
      kind: 'Deployment',
      name: 'telemetry',
      replicas: 1,
      labels: { app: 'telemetry' },
      containers: [
        c('collector', 'registry.local:5000/edge/telemetry:1.8.4', 'ok', 20, 64, { requests: false }),
        c('shipper', 'registry.local:5000/edge/shipper:1.8.4', 'ok', 4, 20, { requests: false }),
      ],
    },
    // A job every minute so even a healthy box gives watches ADDED, MODIFIED and DELETED.
    {
      namespace: 'edge',
      kind: 'CronJob',
      name: 'backup',
      replicas: 1,
      labels: { app: 'backup' },
      containers: [c('backup', 'registry.local:5000/edge/backup:1.0.2', 'job', 30, 40, { logEverySec: 1 })],
    },
  ];
}

const crashing = (): WorkloadSpec => ({
  namespace: 'edge',
  kind: 'Deployment',
  name: 'sensor-gateway',
  replicas: 1,
  labels: { app: 'sensor-gateway' },
  containers: [c('gateway', 'registry.local:5000/edge/sensor-gateway:2.1.0', 'crash', 8, 30, { logEverySec: 1 })],
});
const oomer = (): WorkloadSpec => ({
  namespace: 'edge',
  kind: 'Deployment',
  name: 'video-analytics',
  replicas: 1,
  labels: { app: 'video-analytics' },
  containers: [c('analytics', 'registry.local:5000/edge/video-analytics:0.9.7', 'oom', 240, 250, { memLimitMi: 256, logEverySec: 1 })],
});
const badImage = (): WorkloadSpec => ({
  namespace: 'edge',
  kind: 'Deployment',
  name: 'firmware-updater',
  replicas: 1,
  labels: { app: 'firmware-updater' },
  containers: [c('updater', 'registry.local:5000/edge/firmware-updater:2.4.1', 'imagepull', 0, 0)],
});

function manyPods(total: number): WorkloadSpec[] {
  const out: WorkloadSpec[] = [];
  const perDeployment = 10;
  const deployments = Math.ceil(total / perDeployment);
  for (let i = 0; i < deployments; i++) {
    const ns = `tenant-${String(i % 20).padStart(2, '0')}`;
    // One deployment in fifty misbehaves, so a big list is not all green and watches see restarts.
    const behaviour: Behaviour = i % 50 === 7 ? 'crash' : 'ok';
    out.push({
      namespace: ns,
      kind: 'Deployment',
      name: `svc-${String(i).padStart(4, '0')}`,
      replicas: Math.min(perDeployment, total - i * perDeployment),
      labels: { app: `svc-${String(i).padStart(4, '0')}`, tier: i % 3 === 0 ? 'frontend' : 'backend' },
      containers: [c('app', `registry.local:5000/tenant/svc:${1 + (i % 5)}.0.0`, behaviour, 2 + (i % 7), 16 + (i % 11) * 4, { logEverySec: 30 })],
    });
  }
  return out;
}

export function planScenario(scenario: Scenario): ScenarioPlan {
  const base = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
  switch (scenario) {
    case 'healthy':
      return { namespaces: [...base, 'edge'], workloads: [...systemWorkloads(), ...edgeApps()], diskPressure: false, podCapacity: 110 };
    case 'crashloop':
      return { namespaces: [...base, 'edge'], workloads: [...systemWorkloads(), ...edgeApps(), crashing()], diskPressure: false, podCapacity: 110 };
    case 'oom':
      return { namespaces: [...base, 'edge'], workloads: [...systemWorkloads(), ...edgeApps(), oomer()], diskPressure: false, podCapacity: 110 };
    case 'imagepull':
      return { namespaces: [...base, 'edge'], workloads: [...systemWorkloads(), ...edgeApps(), badImage()], diskPressure: false, podCapacity: 110 };
    case 'diskpressure':
      return { namespaces: [...base, 'edge'], workloads: [...systemWorkloads(), ...edgeApps()], diskPressure: true, podCapacity: 110 };
    case 'mixed':
      return { namespaces: [...base, 'edge'], workloads: [...systemWorkloads(), ...edgeApps(), crashing(), oomer(), badImage()], diskPressure: false, podCapacity: 110 };
    case 'pods-500':
    case 'pods-5000': {
      const total = scenario === 'pods-500' ? 500 : 5000;
      const sys = systemWorkloads();
      const sysPods = sys.reduce((n, w) => n + w.replicas, 0);
      const tenants = Array.from({ length: 20 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
      return { namespaces: [...base, ...tenants], workloads: [...sys, ...manyPods(total - sysPods)], diskPressure: false, podCapacity: total + 100 };
    }
  }
}
