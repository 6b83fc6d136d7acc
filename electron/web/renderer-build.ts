import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/** The project folder in a source checkout (where vite.renderer.config.ts and renderer/ live). */
const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');
const VITE_CONFIG = 'vite.renderer.config.ts';
/** What the renderer bundle is made from: its sources, the contract, the fonts, its config and its dependencies. */
const SOURCES = ['renderer', 'shared', 'assets', VITE_CONFIG, 'package-lock.json'];

/**
 * True when there is no built UI in `outDir`, or one of `sources` (folders, walked, or files) is
 * newer than the build. Test files never make the build stale; a missing source is skipped.
 */
export function rendererNeedsBuild(outDir: string, sources: string[]): boolean {
  const built = fs.statSync(path.join(outDir, 'index.html'), { throwIfNoEntry: false });
  if (!built) return true;
  return sources.some((src) => newestMtime(src) > built.mtimeMs);
}

function newestMtime(src: string): number {
  const st = fs.statSync(src, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(src, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || /\.test\.tsx?$/.test(entry.name)) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export type RendererBuildResult =
  /** The build in outDir is newer than every source. */
  | 'fresh'
  | 'built'
  /** Vite ran and failed; its errors went to progress. */
  | 'failed'
  /** Not a source checkout (no config or no Vite, as in an installed app): nothing to build from. */
  | 'no-sources';

export interface RendererBuildOptions {
  /** Where the built UI goes; must be the outDir of vite.renderer.config.ts (.vite/renderer/main_window). */
  outDir: string;
  /** Each line of progress: what is happening and Vite's own warnings and errors. For stderr, never stdout. */
  progress: (line: string) => void;
  signal?: AbortSignal;
  /** The project folder; the checkout this file belongs to unless a test says otherwise. */
  root?: string;
}

/**
 * The one "is the UI missing or stale? then build it" step, for `npm start` and `fieldlink ui`.
 * Vite runs as a child process on this Node (its output piped to `progress`, so `--json` stdout
 * stays clean) and the answer says what happened; a failed build is not thrown, because the host
 * can still start and its page says what is missing.
 */
export async function ensureRendererBuilt(opts: RendererBuildOptions): Promise<RendererBuildResult> {
  const root = opts.root ?? PROJECT_ROOT;
  const config = path.join(root, VITE_CONFIG);
  if (!fs.existsSync(config) || !fs.existsSync(path.join(root, 'renderer'))) return 'no-sources';
  if (
    !rendererNeedsBuild(
      opts.outDir,
      SOURCES.map((s) => path.join(root, s)),
    )
  )
    return 'fresh';
  const vite = viteBin(root);
  if (!vite) {
    opts.progress('The UI needs building, but Vite is not installed here (run npm ci in the project folder).');
    return 'no-sources';
  }
  const started = Date.now();
  const missing = !fs.existsSync(path.join(opts.outDir, 'index.html'));
  opts.progress(`${missing ? 'Building the UI' : 'The UI is older than its sources; rebuilding it'} (vite build -c ${VITE_CONFIG})…`);
  const code = await run(process.execPath, [vite, 'build', '-c', config, '--logLevel', 'warn'], root, opts.progress, opts.signal);
  if (code === 0) {
    opts.progress(`Built the UI in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return 'built';
  }
  opts.progress('The UI did not build; see the errors above. Starting anyway: the page will say what is missing.');
  return 'failed';
}

function viteBin(root: string): string | null {
  try {
    const pkgFile = createRequire(path.join(root, 'package.json')).resolve('vite/package.json');
    const { bin } = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { bin?: string | Record<string, string> };
    const rel = typeof bin === 'string' ? bin : bin?.vite;
    return rel ? path.join(path.dirname(pkgFile), rel) : null;
  } catch {
    return null;
  }
}

function run(cmd: string, args: string[], cwd: string, progress: (line: string) => void, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(1);
    // NODE_ENV decides which React Vite bundles: under vitest it is 'test', which gave the browser
    // suites (and the Fleet bench) React's development build, several times slower per render.
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NODE_ENV: 'production' } });
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split(/\r?\n/);
        rest = parts.pop() ?? '';
        for (const line of parts) if (line.trim()) progress(line);
      });
      stream.on('end', () => {
        if (rest.trim()) progress(rest);
      });
    }
    child.once('error', (err) => {
      progress(`Vite could not start: ${err.message}`);
      resolve(1);
    });
    child.once('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(code ?? 1);
    });
  });
}
