import type { ForgeConfig } from '@electron-forge/shared-types';
import { VitePlugin } from '@electron-forge/plugin-vite';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

/**
 * Electron Forge: `electron-forge start` (Vite dev server + Electron) and `electron-forge package`.
 * Installers are not made here: electron-builder builds them from the packaged app
 * (`npm run dist`, electron-builder.yml, --prepackaged).
 */
export const config: ForgeConfig = {
  packagerConfig: {
    asar: true,
    executableName: 'fieldlink',
    appBundleId: 'dev.fieldlink.app',
    appCategoryType: 'public.app-category.utilities',
  },
  rebuildConfig: {},
  makers: [],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/main.ts', config: 'vite.main.config.ts', target: 'main' },
        { entry: 'electron/preload.ts', config: 'vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.ts' }],
    }),
    // Burnt into the Electron binary at package time: the packaged app cannot be turned back into a
    // general-purpose Node runtime or debugger, and only runs the code in its own signed asar.
    new FusesPlugin({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      // The UI is served from fieldlink://, so file:// needs no extra powers.
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    }),
  ],
};

export default config;
