import { defineConfig } from 'vite';

/**
 * The preload bundle. A sandboxed preload can require only `electron` (and a few timers/events
 * polyfills), so Forge's defaults are what it needs: CommonJS, one file (preload.cjs), everything
 * else (shared/api.ts and zod) bundled in.
 */
export default defineConfig({
  build: { sourcemap: true },
});
