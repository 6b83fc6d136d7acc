import type { HandlersOf } from '../rpc/index.ts';
import type { JobRegistry } from './registry.ts';

export function jobHandlers({ jobs }: { jobs: JobRegistry }): HandlersOf<'jobs'> {
  return {
    'jobs.list': () => jobs.list(),
    'jobs.cancel': ({ id }) => jobs.cancel(id),
  };
}
