export { createDispatch, type Dispatch } from './dispatch.ts';
export { createHandlers, type Handlers } from './handlers.ts';
