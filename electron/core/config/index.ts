export { resolveDataDir } from './datadir.ts';
