import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { fieldlinkPlugin } from './eslint-rules/no-folder-cycle.js';

/*
 * The import rules of DESIGN.md, enforced here rather than by reviewers:
 *   front doors (electron/main, ipc, preload, web, cli) -> core -> shared;  renderer -> shared.
 * Boundaries are checked on resolved paths (import-x/no-restricted-paths), so `../../renderer/x.ts`,
 * `export … from` and `import()` are all caught whatever the relative spelling. Cycles are checked by
 * import-x/no-cycle between files (type-only imports do not count: they vanish at runtime) and by
 * fieldlink/no-folder-cycle between the folders of a layer (types do count: a concept that needs
 * another's types still depends on it). eslint.config.test.ts proves each rule through ESLint's own API.
 */

/** Everything the renderer must not reach: Node's builtins, bare or `node:`, and Electron itself. */
const NODE_BUILTINS = [...new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/^node:/, '')))];
export const MESSAGES = {
  rendererNode: 'The renderer never touches Node: ask the core through shared/api.ts (renderer/api.ts) instead.',
  rendererElectron: 'The renderer never imports electron/ or Electron: everything crosses shared/api.ts through renderer/api.ts.',
  renderer: 'Only the renderer imports renderer/: move what both sides need to shared/.',
  coreElectron: 'electron/core must run without Electron: the front doors (main, ipc, preload) hold the Electron calls.',
  coreFrontDoor: 'electron/core never imports a front door (main, ipc, preload, web, cli): the front doors call the core, not the other way.',
  shared: 'shared/ is the contract: it imports nothing from electron/ or renderer/.',
};

const FRONT_DOORS = ['electron/main.ts', 'electron/ipc.ts', 'electron/preload.ts', 'electron/web.ts', 'electron/web', 'electron/cli.ts', 'electron/cli'];

export default tseslint.config(
  { ignores: ['node_modules/', '.vite/', 'out/', 'dist/', 'test-output/', 'bench/results/', 'renderer/dist/', '.lab-state/', 'eslint-rules/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX, fieldlink: fieldlinkPlugin },
    settings: {
      // Imports name their file with its .ts extension, so resolving is finding that file.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.node'] })],
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs', '.cjs'],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Folders of a layer depend one way, types included (import-x/no-cycle skips type-only imports).
      'fieldlink/no-folder-cycle': ['error', { roots: ['electron', 'electron/core', 'renderer', 'lab'] }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: ['electron', 'collector', 'bin', 'scripts', 'lab', 'bench', 'shared'], from: 'renderer', message: MESSAGES.renderer },
            { target: 'renderer', from: 'electron', message: MESSAGES.rendererElectron },
            { target: 'electron/core', from: FRONT_DOORS, message: MESSAGES.coreFrontDoor },
            { target: 'shared', from: ['electron', 'collector', 'lab'], message: MESSAGES.shared },
          ],
        },
      ],
    },
  },
  {
    // Typed linting: the promise rules need types. Each file is checked against the nearest tsconfig
    // (renderer/tsconfig.json for the renderer, tsconfig.json for the rest).
    files: ['**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: MESSAGES.rendererElectron }, ...NODE_BUILTINS.map((name) => ({ name, message: MESSAGES.rendererNode }))],
          patterns: [{ group: ['node:*'], message: MESSAGES.rendererNode }],
        },
      ],
    },
  },
  {
    // The core is shared by four front doors: it must never reach for Electron.
    files: ['electron/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: MESSAGES.coreElectron }] }] },
  },
  {
    // Config files are read by tools that want a default export.
    files: ['**/*.config.ts', '**/*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
