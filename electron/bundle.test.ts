import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type InlineConfig } from 'vite';
import { callChannel, callNames, eventNames } from '../shared/api.ts';
import { config as forgeConfig } from '../forge.config.ts';
import { nativeExternals } from '../vite.main.config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * Builds main and preload exactly as `electron-forge start/package` would (Forge's own Vite config
 * generator, our vite.*.config.ts), then checks the artefacts Electron would load: the preload runs
 * with nothing but `electron` to require (the sandbox's rule), and the main bundle starts, opens its
 * window and serves the UI when run by Node 24 (Electron 45 runs Node 24.x) against the stub electron.
 */
describe('Electron bundles built by Forge', () => {
  // Inside the project (under the ignored .vite/) so the bundle finds the native packages it leaves external.
  fs.mkdirSync(path.join(ROOT, '.vite'), { recursive: true });
  const base = fs.mkdtempSync(path.join(ROOT, '.vite', 'test-bundle-'));
  const out = path.join(base, 'build');

  beforeAll(async () => {
    const { default: ViteConfigGenerator } = (await import(path.join(ROOT, 'node_modules/@electron-forge/plugin-vite/dist/ViteConfig.js'))) as {
      default: new (c: unknown, dir: string, prod: boolean) => { getBuildConfigs(): Promise<InlineConfig[]> };
    };
    const vitePlugin = forgeConfig.plugins!.find((p) => (p as { name?: string }).name === 'vite') as unknown as { config: unknown };
    const configs = await new ViteConfigGenerator(vitePlugin.config, ROOT, true).getBuildConfigs();
    for (const c of configs) await build({ ...c, configFile: false, logLevel: 'silent', build: { ...c.build, outDir: out } });
    // A stand-in renderer build where the packaged layout puts it: .vite/renderer/main_window.
    fs.mkdirSync(path.join(base, 'renderer', 'main_window'), { recursive: true });
    fs.writeFileSync(path.join(base, 'renderer', 'main_window', 'index.html'), '<!doctype html><title>Fieldlink bundle test</title>');
  }, 120_000);
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('makes main.js (ES module, as package.json "main" says) and preload.cjs', () => {
    expect(fs.existsSync(path.join(out, 'main.js'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'preload.cjs'))).toBe(true);
  });

  it('preload.cjs requires nothing but electron, and exposes the contract when run that way', () => {
    const code = fs.readFileSync(path.join(out, 'preload.cjs'), 'utf8');
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));

    const exposed: Record<string, { calls: Record<string, unknown>; events: Record<string, unknown> }> = {};
    const electron = {
      contextBridge: { exposeInMainWorld: (k: string, v: never) => (exposed[k] = v) },
      ipcRenderer: { invoke: async () => ({ ok: true, value: null }), on: () => {}, removeListener: () => {} },
    };
    const sandboxRequire = (id: string) => {
      if (id === 'electron') return electron;
      throw new Error(`module not found: ${id} (a sandboxed preload may only require electron)`);
    };
    const module = { exports: {} };
    vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console }, { filename: 'preload.cjs' });
    expect(Object.keys(exposed.fieldlink!.calls).sort()).toEqual([...callNames].sort());
    expect(Object.keys(exposed.fieldlink!.events).sort()).toEqual([...eventNames].sort());
  });

  it('main.js imports only electron, Node built-ins and the native packages forge.config.ts ships', () => {
    const code = fs.readFileSync(path.join(out, 'main.js'), 'utf8');
    const imports = [...code.matchAll(/(?:^|[;\n])\s*import\s[^;]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    const shipped = (spec: string) => nativeExternals.some((e) => (typeof e === 'string' ? e === spec || spec.startsWith(`${e}/`) : e.test(spec)));
    // The bundler splits lazily loaded libraries (client-node) into chunks beside main.js: those ship with it.
    const ownChunk = (spec: string) => spec.startsWith('./') && fs.existsSync(path.join(out, spec));
    // Some bundled libraries (tus-js-client's Node build) name built-ins without the node: prefix.
    const builtin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec);
    for (const spec of imports) expect(spec === 'electron' || builtin(spec) || shipped(spec) || ownChunk(spec), spec).toBe(true);
  });

  /** What the bundle did, as bundle-driver.ts printed it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let r: Record<string, any> = {};

  it('main.js starts under Node 24, opens the sandboxed window, binds the contract and serves the UI', async () => {
    const node = path.join(ROOT, 'node_modules/.bin/node');
    const dataDir = path.join(base, 'data');
    const { stdout } = await promisify(execFile)(node, ['--import', path.join(import.meta.dirname, 'testing', 'bundle-driver.ts'), path.join(out, 'main.js')], {
      env: { ...process.env, FIELDLINK_DATA_DIR: dataDir },
      timeout: 60_000,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('REPORT '));
    expect(line).toBeDefined();
    r = JSON.parse(line!.slice(7));
    expect(r.info).toMatchObject({ ok: true, value: { host: 'electron' } });
    expect(r.window.loadedUrl).toBe('fieldlink://app/index.html');
    expect(r.window.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, preload: path.join(out, 'preload.cjs') });
    expect(r.channels.sort()).toEqual(callNames.map(callChannel).sort());
    expect(r.index).toMatchObject({ status: 200, body: expect.stringContaining('Fieldlink bundle test') });
    expect(r.index.csp).toContain("default-src 'self'");
    expect([400, 404]).toContain(r.escape.status);
    expect(fs.existsSync(path.join(dataDir, 'fieldlink.db'))).toBe(true);
    // The bundled logger writes its rotating file there too (pino and the file destination survive bundling).
    expect(fs.readFileSync(path.join(dataDir, 'logs', 'fieldlink.log'), 'utf8')).not.toContain('cannot be opened');
  }, 90_000);

  // Known bug, kept visible: Vite inlines `new URL('../../package.json', import.meta.url)` in
  // electron/core/app.ts as a data: URL, which fs cannot read, so the bundled app reports 0.0.0.
  it('reports the package.json version from inside the bundle', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.info?.value?.version).toBe(pkg.version);
  });
});
