import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/index.ts';
import { JobRegistry } from './registry.ts';
import type { Job } from '../../../shared/model.ts';
import { FieldlinkError } from '../../../shared/errors.ts';

describe('jobs', () => {
  it('reports progress and completion as events', async () => {
    const bus = new EventBus();
    const seen: Job[] = [];
    bus.on('job.changed', (j) => seen.push(j));
    const jobs = new JobRegistry(bus);
    const { done } = jobs.start('discovery', 'Looking for boxes', async (ctx) => {
      ctx.progress(0.5, 'mDNS');
      return 42;
    });
    expect(await done).toBe(42);
    expect(seen.map((j) => [j.state, j.progress, j.step])).toEqual([
      ['running', null, null],
      ['running', 0.5, 'mDNS'],
      ['done', 1, 'mDNS'],
    ]);
  });

  it('cancels through the signal and ends as cancelled', async () => {
    const jobs = new JobRegistry(new EventBus());
    const { job, done } = jobs.start('sync', 'Upload', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
    jobs.cancel(job.id);
    await expect(done).rejects.toMatchObject({ code: 'ABORTED' });
    expect(jobs.list()[0]!.state).toBe('cancelled');
  });

  it('records a failure with its message', async () => {
    const jobs = new JobRegistry(new EventBus());
    const message = 'The laptop disk is full: free some space and collect again.';
    const { done } = jobs.start('collect', 'Logs', async () => {
      throw new FieldlinkError('STORAGE', message);
    });
    await expect(done).rejects.toMatchObject({ code: 'STORAGE', message });
    expect(jobs.list()[0]).toMatchObject({ state: 'failed', error: message });
    expect(jobs.list()[0]!.endedAt).not.toBeNull();
  });

  it('records an unexpected throw as the internal-error sentence, not its raw text, and still rethrows it', async () => {
    const jobs = new JobRegistry(new EventBus());
    const { done } = jobs.start('collect', 'Logs', async () => {
      throw new Error('ENOSPC /home/tech/.local/share/fieldlink/segments/tmp-1');
    });
    await expect(done).rejects.toThrow('ENOSPC /home/tech/.local/share/fieldlink/segments/tmp-1');
    expect(jobs.list()[0]).toMatchObject({ state: 'failed', error: 'Something went wrong inside Fieldlink. The details are in the log.' });
  });
});
