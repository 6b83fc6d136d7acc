import { describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../../core/health/index.ts';
import { renderHealth } from './health.ts';

const evil = '<script>alert(1)</script>\x1b]0;owned\x07\x1b[31mred\x1b[0m';

function snap(): HealthSnapshot {
  const container = {
    name: evil,
    image: 'x',
    ready: false,
    restarts: 9,
    state: 'waiting',
    waitingReason: 'CrashLoopBackOff',
    waitingMessage: '',
    terminated: null,
    lastTerminated: { reason: 'Error', exitCode: 1, finishedAt: null, message: '' },
    memoryLimitBytes: null,
    memoryRequestBytes: null,
    init: false,
  };
  return {
    target: 'box-01',
    via: 'api',
    link: 'ssh',
    takenAt: '2026-12-02T12:00:00.000Z',
    nodes: [],
    pods: [
      {
        namespace: 'edge',
        name: evil,
        node: 'edge-01',
        phase: 'Running',
        status: 'CrashLoopBackOff',
        readyContainers: 0,
        totalContainers: 1,
        restarts: 9,
        reason: '',
        message: '',
        unschedulable: null,
        createdAt: null,
        startedAt: null,
        owner: '',
        containers: [container],
        usage: null,
      },
    ],
    podCount: 1,
    podsTruncated: false,
    warnings: [],
    warningCount: 0,
    metrics: false,
    clock: null,
    clientCert: null,
    disk: null,
    diagnosis: [
      {
        severity: 'critical',
        code: 'POD_CRASH_LOOP',
        title: `1 pod is crash-looping ${evil}`,
        evidence: [`edge/${evil}: 9 restarts`],
        next: 'read its log',
        subjects: [`edge/${evil}`],
      },
    ],
  };
}

describe('fieldlink health, as printed', () => {
  it('shows box-supplied names as plain text: no terminal escapes reach the terminal', () => {
    const out = renderHealth(snap());
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('\x07');
    expect(out).toContain('<script>alert(1)</script>');
    // Diagnosis first, then nodes, then pods.
    expect(out.indexOf('PROBLEM:')).toBeLessThan(out.indexOf('NODES'));
    expect(out.indexOf('NODES')).toBeLessThan(out.indexOf('PODS (1; 1 not healthy)'));
  });
});
