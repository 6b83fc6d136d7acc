import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, rendererNeedsBuild } from './renderer-build.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-uibuild-'));
  dirs.push(d);
  return d;
}
const setMtime = (file: string, offsetMs: number) => {
  const t = new Date(Date.now() + offsetMs);
  fs.utimesSync(file, t, t);
};

describe('is the UI build missing or stale', () => {
  it('is stale when missing, fresh after a build, stale again when a source (not a test) changes', () => {
    const base = tmp();
    const out = path.join(base, 'out');
    const src = path.join(base, 'src', 'views');
    const config = path.join(base, 'vite.renderer.config.ts');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'Fleet.tsx'), 'x');
    fs.writeFileSync(config, 'x');
    const sources = [path.join(base, 'src'), config, path.join(base, 'not-there')];
    expect(rendererNeedsBuild(out, sources)).toBe(true);

    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'index.html'), 'x');
    setMtime(path.join(src, 'Fleet.tsx'), -60_000);
    setMtime(config, -60_000);
    expect(rendererNeedsBuild(out, sources)).toBe(false);
    // A test file changing does not make the UI stale.
    fs.writeFileSync(path.join(src, 'Fleet.test.tsx'), 'x');
    expect(rendererNeedsBuild(out, sources)).toBe(false);
    // A file source (the Vite config, the lock file) counts as well as a folder.
    setMtime(config, 60_000);
    expect(rendererNeedsBuild(out, sources)).toBe(true);
    setMtime(config, -60_000);
    setMtime(path.join(src, 'Fleet.tsx'), 60_000);
    expect(rendererNeedsBuild(out, sources)).toBe(true);
  });
});

/**
 * A project folder with a stand-in Vite: its "build" prints a warning on stdout and writes
 * out/index.html, or fails, or hangs, as the test asks (FAKE_VITE).
 */
function fakeProject(): { root: string; outDir: string } {
  const root = tmp();
  fs.mkdirSync(path.join(root, 'renderer'));
  fs.writeFileSync(path.join(root, 'renderer', 'main.tsx'), 'x');
  fs.writeFileSync(path.join(root, 'vite.renderer.config.ts'), 'export default {}');
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"fake","type":"module"}');
  const vite = path.join(root, 'node_modules', 'vite');
  fs.mkdirSync(path.join(vite, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(vite, 'package.json'), '{"name":"vite","bin":{"vite":"bin/vite.js"}}');
  fs.writeFileSync(
    path.join(vite, 'bin', 'vite.js'),
    `import fs from 'node:fs';
const mode = process.env.FAKE_VITE;
if (mode === 'hang') setInterval(() => {}, 1000);
else if (mode === 'fail') { console.error('error: renderer/main.tsx: Unexpected token'); process.exit(1); }
else {
  console.log('(!) args ' + process.argv.slice(2).join(' '));
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync('out/index.html', '<!doctype html>');
}
`,
  );
  return { root, outDir: path.join(root, 'out') };
}

describe('building the UI when it is missing or stale', () => {
  it('builds a missing UI with Vite, progress lines only through progress, then finds it fresh', async () => {
    const { root, outDir } = fakeProject();
    const progress: string[] = [];
    expect(await ensureRendererBuilt({ root, outDir, progress: (l) => progress.push(l) })).toBe('built');
    expect(fs.existsSync(path.join(outDir, 'index.html'))).toBe(true);
    expect(progress[0]).toBe('Building the UI (vite build -c vite.renderer.config.ts)…');
    expect(progress).toContain(`(!) args build -c ${path.join(root, 'vite.renderer.config.ts')} --logLevel warn`);
    expect(progress.at(-1)).toMatch(/^Built the UI in \d+\.\d s\.$/);

    progress.length = 0;
    expect(await ensureRendererBuilt({ root, outDir, progress: (l) => progress.push(l) })).toBe('fresh');
    expect(progress).toEqual([]);

    setMtime(path.join(root, 'renderer', 'main.tsx'), 60_000);
    expect(await ensureRendererBuilt({ root, outDir, progress: (l) => progress.push(l) })).toBe('built');
    expect(progress[0]).toMatch(/older than its sources; rebuilding/);
  });

  it("reports a failed build with Vite's errors instead of throwing", async () => {
    const { root, outDir } = fakeProject();
    const progress: string[] = [];
    process.env.FAKE_VITE = 'fail';
    try {
      expect(await ensureRendererBuilt({ root, outDir, progress: (l) => progress.push(l) })).toBe('failed');
    } finally {
      delete process.env.FAKE_VITE;
    }
    expect(progress).toContain('error: renderer/main.tsx: Unexpected token');
    expect(progress.at(-1)).toMatch(/did not build; see the errors above/);
  });

  it('stops the build when the signal aborts (Ctrl-C)', async () => {
    const { root, outDir } = fakeProject();
    const abort = new AbortController();
    process.env.FAKE_VITE = 'hang';
    try {
      const result = ensureRendererBuilt({ root, outDir, progress: () => {}, signal: abort.signal });
      setTimeout(() => abort.abort(), 200);
      expect(await result).toBe('failed');
    } finally {
      delete process.env.FAKE_VITE;
    }
  });

  it('does nothing outside a source checkout (no Vite config or no Vite installed)', async () => {
    const progress: string[] = [];
    expect(await ensureRendererBuilt({ root: tmp(), outDir: path.join(tmp(), 'out'), progress: (l) => progress.push(l) })).toBe('no-sources');
    const { root, outDir } = fakeProject();
    fs.rmSync(path.join(root, 'node_modules'), { recursive: true });
    expect(await ensureRendererBuilt({ root, outDir, progress: (l) => progress.push(l) })).toBe('no-sources');
    expect(progress).toEqual(['The UI needs building, but Vite is not installed here (run npm ci in the project folder).']);
  });
});
