export { keyFileSealer, type Sealer } from './sealer.ts';
export { SecretStore } from './store.ts';
