import { describe, expect, it } from 'vitest';
import type { PodHealth } from '../../../shared/health.ts';
import { age, healthBanner, podFacets, podIsFine, shownPods, troubleRank } from './pods.ts';

const pod = (over: Partial<PodHealth>): PodHealth => ({
  namespace: 'edge',
  name: 'app',
  node: 'box-01',
  phase: 'Running',
  status: 'Running',
  readyContainers: 1,
  totalContainers: 1,
  restarts: 0,
  reason: '',
  message: '',
  unschedulable: null,
  createdAt: '2026-12-01T10:00:00Z',
  startedAt: null,
  owner: '',
  containers: [],
  usage: null,
  ...over,
});

const pods = [
  pod({ name: 'web' }),
  pod({ name: 'crash', status: 'CrashLoopBackOff', readyContainers: 0, restarts: 12 }),
  pod({ name: 'pending', phase: 'Pending', status: 'Pending', readyContainers: 0 }),
  pod({ namespace: 'kube-system', name: 'coredns', restarts: 1 }),
  pod({ name: 'job', phase: 'Succeeded', status: 'Completed', readyContainers: 0 }),
];
const all = { namespace: '', status: 'all', search: '', sort: { key: 'trouble', desc: false } } as const;

describe('the pods table', () => {
  it('puts the failing pods first, then pending, then the rest', () => {
    expect(shownPods(pods, all).map((p) => p.name)).toEqual(['crash', 'pending', 'coredns', 'job', 'web']);
    expect(troubleRank(pods[1]!)).toBe(0);
    expect(podIsFine(pods[4]!)).toBe(true);
  });

  it('filters by namespace, status and search, and sorts by a column both ways', () => {
    expect(shownPods(pods, { ...all, namespace: 'kube-system' }).map((p) => p.name)).toEqual(['coredns']);
    expect(shownPods(pods, { ...all, status: 'troubled' }).map((p) => p.name)).toEqual(['crash', 'pending']);
    expect(shownPods(pods, { ...all, status: 'Completed' }).map((p) => p.name)).toEqual(['job']);
    expect(shownPods(pods, { ...all, search: 'CRA' }).map((p) => p.name)).toEqual(['crash']);
    expect(shownPods(pods, { ...all, sort: { key: 'restarts', desc: true } })[0]!.name).toBe('crash');
    expect(shownPods(pods, { ...all, sort: { key: 'name', desc: false } }).map((p) => p.name)).toEqual(['coredns', 'crash', 'job', 'pending', 'web']);
  });

  it('counts namespaces and statuses for the filters', () => {
    const f = podFacets(pods);
    expect(f.namespaces).toEqual([
      ['edge', 4],
      ['kube-system', 1],
    ]);
    expect(f.troubled).toBe(2);
    expect(f.statuses[0]).toEqual(['Running', 2]);
  });

  it("shows age as kubectl's AGE column does", () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(age('2026-12-01T09:59:20Z', now)).toBe('40s');
    expect(age('2026-12-01T09:00:00Z', now)).toBe('60m');
    expect(age('2026-11-28T10:00:00Z', now)).toBe('3d');
    expect(age(null, now)).toBe('—');
  });

  it('words the connection state for the header', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(healthBanner({ state: 'live', lastGoodAt: '2026-12-01T12:00:00Z', snapshot: null }, now).word).toBe('Live over LAN');
    expect(healthBanner({ state: 'snapshot', lastGoodAt: '2026-12-01T10:00:00Z', snapshot: null }, now).word).toBe('Offline: snapshot from 2 h ago');
    expect(healthBanner({ state: 'stale', lastGoodAt: '2026-12-01T11:58:00Z', snapshot: null }, now)).toMatchObject({ tone: 'warn', word: 'Link lost: data from 2 min ago' });
  });
});
