import { describe, expect, it } from 'vitest';
import type { Box } from '../../shared/model.ts';
import { countsSentence, fleetCounts, matchesFilter, matchesQuery, sortFleet, sortForFleet } from './selectors.ts';
import { mergeJobs } from './status.ts';

const mk = (p: Partial<Box> & { id: string }): Box => ({
  hostname: p.id,
  serial: null,
  model: null,
  vendor: null,
  arch: null,
  addresses: [],
  consolePath: null,
  reach: 'lan',
  state: 'provisioned',
  trust: 'cable',
  health: 'healthy',
  k3sVersion: null,
  conflict: null,
  firstSeen: '',
  lastSeen: '',
  ...p,
});

describe('fleet selectors', () => {
  const boxes = [
    mk({ id: 'a', hostname: 'edge-10' }),
    mk({ id: 'b', hostname: 'edge-2', state: 'new', health: 'unknown' }),
    mk({ id: 'c', hostname: 'edge-3', trust: 'changed' }),
    mk({ id: 'd', hostname: 'edge-1', health: 'down', addresses: ['10.9.9.9'], serial: 'XK-77' }),
  ];
  it('counts in words as UX.md writes them', () => {
    expect(countsSentence(fleetCounts(boxes))).toBe('4 boxes: 1 healthy, 2 need attention, 1 new');
    expect(countsSentence(fleetCounts([]))).toBe('0 boxes');
    expect(countsSentence(fleetCounts([mk({ id: 'x', health: 'unknown' })]))).toBe('1 box');
  });
  it('puts a changed key first, then trouble, then new boxes, then the rest by natural name order', () => {
    expect(sortForFleet(boxes).map((b) => b.id)).toEqual(['c', 'd', 'b', 'a']);
  });
  it('filters as the technician asks: needs attention, new, on a cable', () => {
    const more = [...boxes, mk({ id: 'e', reach: 'cable' }), mk({ id: 'f', reach: 'none' })];
    expect(more.filter((b) => matchesFilter(b, 'attention')).map((b) => b.id)).toEqual(['c', 'd']);
    expect(more.filter((b) => matchesFilter(b, 'new')).map((b) => b.id)).toEqual(['b']);
    expect(more.filter((b) => matchesFilter(b, 'cable')).map((b) => b.id)).toEqual(['e']);
    expect(more.filter((b) => matchesFilter(b, 'unreachable')).map((b) => b.id)).toEqual(['f']);
  });
  it('sorts by a column both ways, addresses by their numbers, ties in the worst-first order', () => {
    const addr = [mk({ id: 'x', addresses: ['10.0.0.10'] }), mk({ id: 'y', addresses: ['10.0.0.9'] }), mk({ id: 'z', addresses: ['10.0.0.9'], trust: 'changed' })];
    expect(sortFleet(addr, { key: 'address', desc: false }).map((b) => b.id)).toEqual(['z', 'y', 'x']);
    expect(sortFleet(addr, { key: 'address', desc: true }).map((b) => b.id)).toEqual(['x', 'z', 'y']);
    expect(sortFleet(boxes, { key: 'hostname', desc: false }).map((b) => b.hostname)).toEqual(['edge-1', 'edge-2', 'edge-3', 'edge-10']);
  });
  it('searches every word across name, serial and address', () => {
    expect(boxes.filter((b) => matchesQuery(b, 'xk 10.9')).map((b) => b.id)).toEqual(['d']);
    expect(boxes.filter((b) => matchesQuery(b, '  ')).length).toBe(4);
  });
  it('never lets a late snapshot bring an ended job back to running', () => {
    const base = { kind: 'sync' as const, title: 't', progress: null, step: null, startedAt: '2026-01-01T00:00:00Z', endedAt: null, error: null };
    const ended = mergeJobs({}, [{ ...base, id: 'j', state: 'cancelled' }]);
    expect(mergeJobs(ended, [{ ...base, id: 'j', state: 'running' }]).j!.state).toBe('cancelled');
  });
  it('keeps running jobs and only the newest finished ones', () => {
    const job = (id: string, state: 'running' | 'done', t: number) => ({
      id,
      kind: 'sync' as const,
      title: id,
      state,
      progress: null,
      step: null,
      startedAt: new Date(t).toISOString(),
      endedAt: null,
      error: null,
    });
    let jobs = mergeJobs({}, [job('run', 'running', 0)]);
    for (let i = 1; i <= 80; i++) jobs = mergeJobs(jobs, [job(`d${i}`, 'done', i * 1000)]);
    expect(Object.keys(jobs)).toHaveLength(50);
    expect(jobs.run?.state).toBe('running');
    expect(jobs.d80?.state).toBe('done');
    expect(jobs.d1).toBeUndefined();
  });
});
