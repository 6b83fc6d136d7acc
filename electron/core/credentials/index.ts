export { credentialHandlers } from './handlers.ts';
