import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The import rules of DESIGN.md, proved through ESLint's own API with the repository's own
 * eslint.config.js: each wrong-way import is reported with the rule's message, and the right-way
 * import beside it is not. Fixture sources are linted as if they sat at the given path (lintText);
 * the cycle fixtures are real files under fixtures/ (cycles are found by reading the imported files).
 */
const REPO = path.dirname(fileURLToPath(import.meta.url));
/** eslint.config.js ignores this folder: its files break the rules on purpose. */
const FIXTURES = path.join(REPO, 'eslint-rules', 'fixtures');

let MESSAGES: Record<'rendererNode' | 'rendererElectron' | 'renderer' | 'coreElectron' | 'coreFrontDoor' | 'shared', string>;
/** Boundaries need no types: typed linting is switched off here so the suite stays quick. */
let untyped: ESLint;
/** The configuration exactly as `npm run lint` uses it, types and all. */
let typed: ESLint;

beforeAll(async () => {
  ({ MESSAGES } = (await import(pathToFileURL(path.join(REPO, 'eslint.config.js')).href)) as { MESSAGES: typeof MESSAGES });
  untyped = new ESLint({ cwd: REPO, ignore: false, overrideConfig: [{ files: ['**/*.{ts,tsx,js}'], ...(tseslint.configs.disableTypeChecked as Linter.Config) }] });
  typed = new ESLint({ cwd: REPO, ignore: false });
});

interface Finding {
  ruleId: string | null;
  message: string;
}

async function lint(at: string, code: string, eslint = untyped): Promise<Finding[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, at), warnIgnored: true });
  return (result?.messages ?? []).map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

/** Lints one import at `at` and expects `rule` among the findings, carrying `message`. */
async function expectRefused(at: string, code: string, rule: string, message: string): Promise<void> {
  const found = await lint(at, code);
  expect(found, `${at}: ${code}`).toContainEqual({ ruleId: rule, message: expect.stringContaining(message) as unknown as string });
}

async function expectAllowed(at: string, code: string): Promise<void> {
  expect(await lint(at, code), `${at}: ${code}`).toEqual([]);
}

describe('the renderer reaches nothing but shared/', () => {
  const at = 'renderer/views/fixture.ts';

  it('refuses electron/, through import, export-from and import()', async () => {
    await expectRefused(at, "import { createApp } from '../../electron/core/app.ts';\nexport const x = createApp;\n", 'import-x/no-restricted-paths', MESSAGES.rendererElectron);
    await expectRefused(at, "export { Output } from '../../electron/cli/output.ts';\n", 'import-x/no-restricted-paths', MESSAGES.rendererElectron);
    await expectRefused(at, "export const load = () => import('../../electron/web.ts');\n", 'import-x/no-restricted-paths', MESSAGES.rendererElectron);
    await expectRefused(at, "import type { App } from '../../electron/core/app.ts';\nexport type X = App;\n", 'import-x/no-restricted-paths', MESSAGES.rendererElectron);
  });

  it('refuses Electron and Node builtins, with or without node:', async () => {
    await expectRefused(at, "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n", 'no-restricted-imports', MESSAGES.rendererElectron);
    await expectRefused(at, "import fs from 'node:fs';\nexport const x = fs;\n", 'no-restricted-imports', MESSAGES.rendererNode);
    await expectRefused(at, "import fs from 'fs';\nexport const x = fs;\n", 'no-restricted-imports', MESSAGES.rendererNode);
    await expectRefused(at, "import { readFile } from 'fs/promises';\nexport const x = readFile;\n", 'no-restricted-imports', MESSAGES.rendererNode);
    await expectRefused(at, "import { DatabaseSync } from 'node:sqlite';\nexport const x = DatabaseSync;\n", 'no-restricted-imports', MESSAGES.rendererNode);
  });

  it('allows shared/, its own folders and packages', async () => {
    await expectAllowed(
      at,
      "import { calls } from '../../shared/api.ts';\nimport { safeText } from '../format/text.ts';\nimport { create } from 'zustand';\nexport const x = [calls, safeText, create];\n",
    );
  });
});

describe('the core imports neither Electron, nor a front door, nor the renderer', () => {
  const at = 'electron/core/boxes/fixture.ts';

  it('refuses electron', async () => {
    await expectRefused(at, "import { app } from 'electron';\nexport const x = app;\n", 'no-restricted-imports', MESSAGES.coreElectron);
  });

  it('refuses each front door', async () => {
    for (const door of ['../../main.ts', '../../ipc.ts', '../../preload.ts', '../../web.ts', '../../web/csp.ts', '../../cli.ts', '../../cli/output.ts']) {
      await expectRefused(at, `import * as door from '${door}';\nexport const x = door;\n`, 'import-x/no-restricted-paths', MESSAGES.coreFrontDoor);
    }
  });

  it('refuses the renderer', async () => {
    await expectRefused(at, "import { safeText } from '../../../renderer/format/text.ts';\nexport const x = safeText;\n", 'import-x/no-restricted-paths', MESSAGES.renderer);
  });

  it('allows shared/ and its sibling concepts', async () => {
    await expectAllowed(
      at,
      "import { FieldlinkError } from '../../../shared/errors.ts';\nimport { EventBus } from '../events/index.ts';\nexport const x = [FieldlinkError, EventBus];\n",
    );
  });
});

describe('nothing but the renderer imports renderer/', () => {
  it('refuses it from the front doors, the collector, bin, scripts and shared/', async () => {
    await expectRefused(
      'electron/cli/fixture.ts',
      "import { safeText } from '../../renderer/format/text.ts';\nexport const x = safeText;\n",
      'import-x/no-restricted-paths',
      MESSAGES.renderer,
    );
    await expectRefused(
      'electron/fixture.ts',
      "import { safeText } from '../renderer/format/text.ts';\nexport const x = safeText;\n",
      'import-x/no-restricted-paths',
      MESSAGES.renderer,
    );
    await expectRefused(
      'collector/fixture.ts',
      "import { safeText } from '../renderer/format/text.ts';\nexport const x = safeText;\n",
      'import-x/no-restricted-paths',
      MESSAGES.renderer,
    );
    await expectRefused(
      'scripts/fixture.ts',
      "import { safeText } from '../renderer/format/text.ts';\nexport const x = safeText;\n",
      'import-x/no-restricted-paths',
      MESSAGES.renderer,
    );
    await expectRefused(
      'shared/fixture.ts',
      "import { safeText } from '../renderer/format/text.ts';\nexport const x = safeText;\n",
      'import-x/no-restricted-paths',
      MESSAGES.renderer,
    );
  });

  it('refuses electron/ from shared/, the contract', async () => {
    await expectRefused(
      'shared/fixture.ts',
      "import { createApp } from '../electron/core/app.ts';\nexport const x = createApp;\n",
      'import-x/no-restricted-paths',
      MESSAGES.shared,
    );
  });

  it('lets a front door use the core and shared/', async () => {
    await expectAllowed(
      'electron/cli/fixture.ts',
      "import { createApp } from '../core/app.ts';\nimport { safeText } from '../../shared/text.ts';\nexport const x = [createApp, safeText];\n",
    );
  });
});

describe('cycles', () => {
  it('reports two files that import each other', async () => {
    const found = await lint('eslint-rules/fixtures/cycle/a.ts', "import { b } from './b.ts';\n\nexport const a = (): string => `a${b.name}`;\n");
    expect(found).toEqual([{ ruleId: 'import-x/no-cycle', message: 'Dependency cycle detected' }]);
  });

  it('reports two folders that depend on each other even when one direction is only a type', async () => {
    const eslint = new ESLint({
      cwd: REPO,
      ignore: false,
      overrideConfig: [
        { files: ['**/*.ts'], ...(tseslint.configs.disableTypeChecked as Linter.Config) },
        { files: ['eslint-rules/fixtures/layer/**'], rules: { 'fieldlink/no-folder-cycle': ['error', { roots: [path.relative(REPO, path.join(FIXTURES, 'layer'))] }] } },
      ],
    });
    const source = "// x\nimport { two } from '../two/two.ts';\n\nexport const one = (): number => two() + 1;\n";
    const found = await lint('eslint-rules/fixtures/layer/one/uses-two.ts', source, eslint);
    expect(found).toEqual([
      {
        ruleId: 'fieldlink/no-folder-cycle',
        message: expect.stringContaining(
          'Folder cycle eslint-rules/fixtures/layer/one -> eslint-rules/fixtures/layer/two -> eslint-rules/fixtures/layer/one: eslint-rules/fixtures/layer/two/two.ts imports back',
        ) as unknown as string,
      },
    ]);
  });

  it('finds no cycle in a one-way import', async () => {
    await expectAllowed('eslint-rules/fixtures/cycle/c.ts', "import { a } from './a.ts';\nexport const c = a;\n");
  });
});

describe('promises', () => {
  it('refuses a floating promise and an async callback where a void one is expected, with types', async () => {
    const [result] = await typed.lintFiles([path.join(FIXTURES, 'promises.ts')]);
    const found = (result?.messages ?? []).map((m) => `${m.line}: ${m.ruleId}`);
    expect(found).toEqual(['6: @typescript-eslint/no-floating-promises', '7: @typescript-eslint/no-misused-promises']);
  }, 60_000);
});
