import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ProvisionRun } from '../../../shared/provision.ts';
import { EventBus } from '../events/index.ts';
import { JobRegistry } from '../jobs/index.ts';
import type { ExecResult, Shell } from '../transport/index.ts';
import { EXAMPLE_PROFILE, exampleProfileIn, provisionHandlers } from './handlers.ts';
import type { ProvisionDeps } from './run.ts';

const result = (code: number, stdout = '', stderr = ''): ExecResult => ({ code, signal: null, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), truncated: false });
const brokenBox: Shell = {
  kind: 'ssh',
  target: 't',
  exec: async () => result(1, '', 'disk full'),
  put: async () => undefined,
  get: async () => new Uint8Array(),
  close: async () => undefined,
};

function setup(openShell: ProvisionDeps['openShell']) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-prov-h-'));
  const bus = new EventBus();
  const jobs = new JobRegistry(bus);
  const events: ProvisionRun[] = [];
  bus.on('provision.changed', (r) => events.push(r));
  const deps: ProvisionDeps = { openShell, artifacts: { pick: () => Promise.reject(new Error('unused')) as never }, technicianKey: () => null };
  return { h: provisionHandlers({ dataDir, jobs, bus, deps: () => deps }), events, jobs };
}

describe('provision handlers', () => {
  it('offer the example profile, and check text pointing at the line and field', async () => {
    const { h } = setup(async () => brokenBox);
    const profiles = await h['provision.profiles']({});
    expect(profiles[0]).toMatchObject({ name: 'lab-single-server', path: EXAMPLE_PROFILE });
    expect(await h['provision.check']({ text: profiles[0]!.text })).toMatchObject({ ok: true, name: 'lab-single-server', k3s: { role: 'server', cached: false } });
    const bad = await h['provision.check']({ text: profiles[0]!.text.replace('passwordLogin: false', 'passwordLogin: nope') });
    expect(bad.ok).toBe(false);
    expect(bad.problems[0]).toMatchObject({ path: 'passwordLogin', line: expect.any(Number) });
  });

  it('run every box as one job; a box that fails is a result, the run says failed, and each step is an event', async () => {
    const { h, events, jobs } = setup(async (target) => {
      if (target === 'gone') throw new Error('no route to host');
      return brokenBox;
    });
    const text = fs.readFileSync(EXAMPLE_PROFILE!, 'utf8');
    const run = await h['provision.start']({ boxIds: ['a', 'gone'], text, dryRun: true, parallel: 2 });
    expect(run).toMatchObject({
      state: 'running',
      dryRun: true,
      boxes: [
        { boxId: 'a', state: 'waiting' },
        { boxId: 'gone', state: 'waiting' },
      ],
    });
    await vi.waitFor(() => expect(events.at(-1)?.state).toMatch(/^(done|failed|cancelled)$/), { timeout: 5000 });
    const last = events.at(-1)!;
    expect(last.state).toBe('failed');
    expect(last.boxes.map((b) => [b.boxId, b.state, b.error?.step ?? b.error?.code])).toEqual([
      ['a', 'failed', 'facts'],
      ['gone', 'failed', 'INTERNAL'],
    ]);
    expect(last.boxes[0]!.log).toContain('Read the box facts…');
    expect(jobs.list().find((j) => j.id === run.jobId)?.state).toBe('failed');
    expect(await h['provision.get']({ runId: run.runId })).toMatchObject({ state: 'failed' });
  });

  it('refuse an invalid profile before any box is touched', async () => {
    let opened = 0;
    const { h } = setup(async () => (opened++, brokenBox));
    expect(() => h['provision.start']({ boxIds: ['a'], text: 'kind: Nope', dryRun: false, parallel: 1 })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(opened).toBe(0);
  });
});

describe('the example profile', () => {
  it("is found in a packaged app's resources, where Forge's extraResource puts assets/profiles", () => {
    // The packaged layout: resources/app.asar/.vite/build/main.js, and resources/profiles beside the asar.
    const resources = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-resources-'));
    fs.mkdirSync(path.join(resources, 'profiles'));
    fs.copyFileSync(EXAMPLE_PROFILE!, path.join(resources, 'profiles', 'example.yaml'));
    const bundle = path.join(resources, 'app.asar', '.vite', 'build');
    expect(exampleProfileIn({ dirname: bundle, resourcesPath: resources })).toBe(path.join(resources, 'profiles', 'example.yaml'));
    expect(exampleProfileIn({ dirname: bundle })).toBeNull();
  });
});
