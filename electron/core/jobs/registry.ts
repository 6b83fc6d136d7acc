import { randomUUID } from 'node:crypto';
import type { Job } from '../../../shared/model.ts';
import { FieldlinkError, toApiError } from '../../../shared/errors.ts';
import type { EventBus } from '../events/index.ts';

/** What a running job may tell the world: how far it is and what it is doing now. */
export interface JobContext {
  signal: AbortSignal;
  progress(fraction: number | null, step?: string): void;
}

const KEEP_FINISHED = 50;

/**
 * Long work (discovery, provisioning, collection, sync) runs as a job: it can be listed, followed
 * through `job.changed` events, and cancelled. Finished jobs are kept for a while so the UI can show
 * how they ended.
 */
export class JobRegistry {
  readonly #bus: EventBus;
  readonly #jobs = new Map<string, { job: Job; abort: AbortController }>();

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  start<T>(kind: Job['kind'], title: string, work: (ctx: JobContext) => Promise<T>): { job: Job; done: Promise<T> } {
    const abort = new AbortController();
    const job: Job = { id: randomUUID(), kind, title, state: 'running', progress: null, step: null, startedAt: new Date().toISOString(), endedAt: null, error: null };
    this.#jobs.set(job.id, { job, abort });
    this.#publish(job);
    const ctx: JobContext = {
      signal: abort.signal,
      progress: (fraction, step) => {
        if (job.state !== 'running') return;
        this.#update(job, { progress: fraction === null ? null : Math.min(1, Math.max(0, fraction)), step: step ?? job.step });
      },
    };
    const done = work(ctx).then(
      (value) => {
        this.#finish(job, abort.signal.aborted ? 'cancelled' : 'done', null);
        return value;
      },
      (err: unknown) => {
        this.#finish(job, abort.signal.aborted ? 'cancelled' : 'failed', toApiError(err).message);
        throw err;
      },
    );
    // The caller may only follow events; an unobserved failure is already reported on the job.
    done.catch(() => {});
    return { job: { ...job }, done };
  }

  list(): Job[] {
    return [...this.#jobs.values()].map((e) => ({ ...e.job }));
  }

  running(): Job[] {
    return this.list().filter((j) => j.state === 'running');
  }

  cancel(id: string): Job {
    const entry = this.#jobs.get(id);
    if (!entry) throw new FieldlinkError('NOT_FOUND', `No job with id ${id}.`);
    entry.abort.abort(new FieldlinkError('ABORTED', 'Cancelled by the technician.'));
    return { ...entry.job };
  }

  cancelAll(): void {
    for (const e of this.#jobs.values()) if (e.job.state === 'running') e.abort.abort(new FieldlinkError('ABORTED', 'Fieldlink is closing.'));
  }

  #finish(job: Job, state: Job['state'], error: string | null): void {
    this.#update(job, { state, error, endedAt: new Date().toISOString(), progress: state === 'done' ? 1 : job.progress });
    this.#prune();
  }

  #update(job: Job, patch: Partial<Job>): void {
    Object.assign(job, patch);
    this.#publish(job);
  }

  #publish(job: Job): void {
    this.#bus.emit('job.changed', { ...job });
  }

  #prune(): void {
    const finished = [...this.#jobs.values()].filter((e) => e.job.state !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.#jobs.delete(e.job.id);
  }
}
