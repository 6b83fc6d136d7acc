import { configDefaults, defineConfig } from 'vitest/config';
import { labSerialEnv } from './lab/config.ts';

/**
 * Three projects: `unit` runs anywhere in seconds (tests beside the code); `lab` needs
 * root and a running edge-box lab, and runs inside the technician namespace (see scripts/test.ts);
 * `e2e` drives the built UI in headless Chromium against the browser host on 127.0.0.1.
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'electron/**/*.test.ts',
            'shared/**/*.test.ts',
            'renderer/**/*.test.{ts,tsx}',
            'collector/**/*.test.ts',
            'lab/**/*.test.ts',
            'bench/**/*.test.ts',
            'scripts/**/*.test.ts',
            // Beside the project's own config files: forge.config.test.ts, electron-builder.test.ts, eslint.config.test.ts.
            '*.test.ts',
            // The test helpers' own tests (test/fixtures/needs.test.ts).
            'test/fixtures/**/*.test.ts',
            // The renderer against a real core, in-process: it needs no lab, and renderer/ may not import electron/.
            'test/integration/renderer/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/fault/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/renderer/**'],
          // The lab's consoles are by-id links outside /dev: name their folder as a serial folder.
          env: { FIELDLINK_SERIAL_DIRS: labSerialEnv().FIELDLINK_SERIAL_DIRS! },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
