import type { ForgeConfig } from '@electron-forge/shared-types';
import { VitePlugin } from '@electron-forge/plugin-vite';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import fs from 'node:fs';
import path from 'node:path';
import { nativeExternals } from './vite.main.config.ts';

const ROOT = import.meta.dirname;

/**
 * The folders (relative to the project) of the native packages the main bundle leaves external, and
 * of everything they depend on, resolved the way Node resolves them (nested node_modules first).
 */
export function nativePackageDirs(root = ROOT): string[] {
  const seen = new Set<string>();
  const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const wanted = Object.keys(rootPkg.dependencies ?? {}).concat(['cpu-features']);
  const roots = wanted.filter((name) => nativeExternals.some((e) => (typeof e === 'string' ? e === name : e.test(name))));
  const visit = (name: string, from: string): void => {
    const dir = resolvePackageDir(name, from, root);
    if (!dir || seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, dir);
  };
  for (const name of roots) visit(name, '.');
  return [...seen].sort();
}

function resolvePackageDir(name: string, from: string, root: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(root, candidate, 'package.json'))) return candidate;
    if (dir === '.' || dir === path.dirname(dir)) return null;
  }
}

/** Copies the native packages into a packaged app folder, keeping their node_modules layout. */
export function copyNativePackages(buildPath: string, root = ROOT): string[] {
  const dirs = nativePackageDirs(root);
  for (const dir of dirs) {
    fs.cpSync(path.join(root, dir), path.join(buildPath, dir), {
      recursive: true,
      // Nested node_modules are copied as packages of their own (if needed), and .bin links never.
      filter: (src) => !path.relative(path.join(root, dir), src).split(path.sep).includes('node_modules'),
    });
  }
  return dirs;
}

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
    // The example profile, outside the asar (resources/profiles), where the core looks for it in
    // a packaged app; the Vite plugin packs only the bundle into the asar.
    extraResource: ['assets/profiles'],
  },
  rebuildConfig: {},
  hooks: {
    // Runs before Forge's rebuild step, so the copied addons are rebuilt for Electron.
    packageAfterCopy: async (_config, buildPath) => void copyNativePackages(buildPath),
  },
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
