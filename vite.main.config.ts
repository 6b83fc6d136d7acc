/// <reference types="@electron-forge/plugin-vite/forge-vite-env" />
import { defineConfig, type ConfigEnv } from 'vite';

/**
 * The Electron main process bundle. ES module output named main.js, because package.json says
 * "type": "module" and "main": ".vite/build/main.js" (Electron runs ESM main processes). Forge adds
 * electron and Node's built-ins as externals; everything else but nativeExternals is bundled, as
 * the packaged app carries only .vite/ (and the native packages copied in by forge.config.ts).
 */
/**
 * Packages that carry native addons (.node files) Vite cannot bundle: they stay runtime imports, and
 * forge.config.ts copies them (with their dependencies) into the package, where Forge rebuilds them
 * for Electron's ABI. ssh2's crypto binding and cpu-features are optional speed-ups it loads if present.
 */
export const nativeExternals: (string | RegExp)[] = ['ssh2', 'cpu-features', 'serialport', /^@serialport\//];

export default defineConfig((env) => {
  const { forgeConfigSelf } = env as ConfigEnv<'build'>;
  return {
    build: {
      lib: { entry: forgeConfigSelf.entry, formats: ['es'], fileName: () => 'main.js' },
      sourcemap: true,
      rollupOptions: {
        // node:sqlite is newer than Vite's built-in list; it must stay a runtime import.
        external: ['node:sqlite', ...nativeExternals],
        // Bundled CommonJS dependencies (pino and friends) call require() for Node built-ins; an ES
        // module has no require of its own, so give it one.
        output: { banner: "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);" },
      },
    },
  };
});
