export { JobRegistry, type JobContext } from './registry.ts';
