export { JobRegistry, type JobContext } from './registry.ts';
export { jobHandlers } from './handlers.ts';
export { etaText, mibOf } from './eta.ts';
