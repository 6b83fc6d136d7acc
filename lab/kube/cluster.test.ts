import { describe, expect, it } from 'vitest';
import { parseK3sArgs, type Scenario } from './box-config.ts';
import { Cluster } from './cluster.ts';
import { instanceLines } from './logs.ts';

/** Scenario behaviour over simulated time: what a health view must be able to see. */

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const T0 = Date.parse('2026-01-01T00:00:00Z');

function cluster(scenario: Scenario, warmupMs: number, opts: { timeScale?: number; now?: number } = {}): Cluster {
  return new Cluster({
    scenario,
    server: { name: 'edge-01', ip: '10.77.0.11', arch: 'arm64', role: 'server', k3sVersion: 'v1.30.6+k3s1' },
    flags: parseK3sArgs([]),
    seed: `t/${scenario}`,
    warmupMs,
    now: opts.now ?? T0,
    timeScale: opts.timeScale,
  });
}

const pods = (c: Cluster) => c.store.list('pods').items as Any[];
const events = (c: Cluster) => c.store.list('events').items as Any[];
const byPrefix = (c: Cluster, p: string) => pods(c).find((x) => x.metadata.name.startsWith(p))!;

describe('scenarios', { timeout: 60_000 }, () => {
  it('crashloop: restartCount grows with exponential back-off and BackOff events count up', () => {
    const c = cluster('crashloop', 60_000);
    const early = byPrefix(c, 'sensor-gateway-').status.containerStatuses[0].restartCount as number;
    c.advance(T0 + 10 * 60_000);
    const later = byPrefix(c, 'sensor-gateway-').status.containerStatuses[0];
    expect(later.restartCount).toBeGreaterThan(early);
    // 10 min of 6 s runs and 10·2^n s back-offs (cap 300 s): about 6 restarts, far fewer than 10 min / 16 s.
    expect(later.restartCount).toBeGreaterThanOrEqual(4);
    expect(later.restartCount).toBeLessThanOrEqual(8);
    expect(later.lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 2 });
    const backoff = events(c).find((e) => e.reason === 'BackOff' && e.involvedObject.name.startsWith('sensor-gateway-'));
    expect(backoff?.type).toBe('Warning');
    expect(backoff?.count).toBeGreaterThan(1);
  });

  it('oom: the container is OOMKilled with exit 137 and waits in CrashLoopBackOff', () => {
    const c = cluster('oom', 3 * 60_000);
    const cs = byPrefix(c, 'video-analytics-').status.containerStatuses[0];
    expect(cs.lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(cs.restartCount).toBeGreaterThan(0);
  });

  it('imagepull: the pod stays Pending, alternating ErrImagePull and ImagePullBackOff', () => {
    const c = cluster('imagepull', 2 * 60_000);
    const seen = new Set<string>();
    for (let t = 0; t < 120; t++) {
      c.advance(T0 + t * 1000);
      const p = byPrefix(c, 'firmware-updater-');
      expect(p.status.phase).toBe('Pending');
      seen.add(p.status.containerStatuses[0].state.waiting.reason);
    }
    expect([...seen].sort()).toEqual(['ErrImagePull', 'ImagePullBackOff']);
    expect(events(c).some((e) => e.reason === 'Failed' && /Failed to pull image .*not found/.test(e.message))).toBe(true);
  });

  it('diskpressure: condition, taint, then evictions with events and an unschedulable replacement', () => {
    const c = cluster('diskpressure', 4 * 60_000);
    const node = c.store.list('nodes').items[0] as Any;
    expect(node.status.conditions.find((x: Any) => x.type === 'DiskPressure').status).toBe('True');
    expect(node.spec.taints).toContainEqual(expect.objectContaining({ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }));
    const evicted = pods(c).filter((p) => p.status.reason === 'Evicted');
    expect(evicted.length).toBeGreaterThan(0);
    expect(evicted[0]!.status.phase).toBe('Failed');
    expect(evicted[0]!.status.message).toMatch(/low on resource: ephemeral-storage/);
    expect(events(c).some((e) => e.reason === 'Evicted' && e.type === 'Warning')).toBe(true);
    expect(events(c).some((e) => e.reason === 'EvictionThresholdMet')).toBe(true);
    const pending = pods(c).find((p) => p.status.conditions?.[0]?.reason === 'Unschedulable');
    expect(pending?.status.phase).toBe('Pending');
  });

  it('healthy: every long-running pod is Running and Ready, and the backup job comes and goes', () => {
    const c = cluster('healthy', 5 * 60_000);
    const running = pods(c).filter((p) => p.metadata.ownerReferences[0].kind !== 'Job');
    expect(running.every((p) => p.status.phase === 'Running' && p.status.conditions.find((x: Any) => x.type === 'Ready').status === 'True')).toBe(true);
    const backups = pods(c).filter((p) => p.metadata.name.startsWith('backup-'));
    expect(backups.length).toBe(3);
  });

  it('pods-5000: builds 5000 pods', () => {
    const c = cluster('pods-5000', 60_000);
    expect(c.store.count('pods')).toBe(5000);
    expect((c.store.list('nodes').items[0] as Any).status.capacity.pods).toBe('5100');
  });

  it('time acceleration divides scenario intervals', () => {
    const slow = cluster('crashloop', 60_000);
    const fast = cluster('crashloop', 60_000, { timeScale: 10 });
    const r = (c: Cluster) => byPrefix(c, 'sensor-gateway-').status.containerStatuses[0].restartCount as number;
    expect(r(fast)).toBeGreaterThan(r(slow) + 2);
  });
});

describe('logs', () => {
  it('computes lines by time, ends a crashed instance with its panic, and bounds the count', () => {
    const inst = { seed: 's', behaviour: 'crash' as const, image: 'x', startedAt: T0, endedAt: T0 + 10_000, endReason: 'Error', periodMs: 1000 };
    const all = instanceLines(inst, -Infinity, T0 + 60_000);
    expect(all[0]!.text).toMatch(/starting/);
    expect(all.at(-1)!.text).toMatch(/main\.go/);
    expect(all.filter((l) => l.at < T0 + 10_000)).toHaveLength(10);
    const since = instanceLines(inst, T0 + 5000, T0 + 60_000);
    expect(since[0]!.at).toBe(T0 + 5000);
    expect(instanceLines({ ...inst, endedAt: undefined }, -Infinity, T0 + 10_000_000, 100)).toHaveLength(100);
  });
});
