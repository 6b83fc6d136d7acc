import type { StateCreator } from 'zustand';
import type { Job } from '../../shared/model.ts';
import type { AppState, StatusSlice } from './types.ts';

/** Finished jobs stay visible for a while so the technician sees how they ended; older ones go. */
const KEEP_JOBS = 50;

export const createStatusSlice: StateCreator<AppState, [], [], StatusSlice> = (set, get) => ({
  status: null,
  jobs: {},
  setStatus: (status) => set((s) => ({ status, jobs: mergeJobs(s.jobs, status.jobs) })),
  upsertJobs: (list) => set((s) => ({ jobs: mergeJobs(s.jobs, list) })),
  cancelJob: async (id) => {
    try {
      const job = await get().client.call('jobs.cancel', { id });
      get().upsertJobs([job]);
    } catch (err) {
      get().notify(err);
    }
  },
});

export function mergeJobs(current: Record<string, Job>, list: Job[]): Record<string, Job> {
  if (list.length === 0) return current;
  const next = { ...current };
  for (const j of list) {
    // A job never runs again once it ended: a late snapshot (e.g. jobs.cancel's answer, which can
    // arrive after the job.changed that ended it) must not bring it back to life.
    const had = next[j.id];
    if (had && had.state !== 'running' && j.state === 'running') continue;
    next[j.id] = j;
  }
  const ids = Object.keys(next);
  if (ids.length <= KEEP_JOBS) return next;
  // Drop the oldest finished jobs first; running ones always stay.
  const finished = ids.filter((id) => next[id]!.state !== 'running').sort((a, b) => next[a]!.startedAt.localeCompare(next[b]!.startedAt));
  for (const id of finished.slice(0, ids.length - KEEP_JOBS)) delete next[id];
  return next;
}

/** What the status bar shows: running jobs first, newest first. */
export function runningJobs(jobs: Record<string, Job>): Job[] {
  return Object.values(jobs)
    .filter((j) => j.state === 'running')
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
