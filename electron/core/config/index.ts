export { resolveDataDir } from './datadir.ts';
export { ensurePrivateDir, ensurePrivateFile } from './private.ts';
