export { JobRegistry, type JobContext } from './registry.ts';
export { jobHandlers } from './handlers.ts';
