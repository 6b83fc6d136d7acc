export { createDispatch, type Dispatch } from './dispatch.ts';
export type { Handlers, HandlersOf } from './handlers.ts';
