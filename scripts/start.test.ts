import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBinary, parsePort } from './start.ts';
import { makeRenderer, rawGet, session } from '../electron/web/testing.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('npm start: choosing Electron or the browser host', () => {
  it('uses Electron only when the electron package has a binary of its own version, without importing it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-electron-pkg-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"electron","version":"45.5.0"}');
      // As npm ci leaves it: no binary, and importing the package would start a download.
      fs.writeFileSync(path.join(dir, 'index.js'), 'throw new Error("electronBinary must not import electron")');
      expect(electronBinary(dir, {})).toBeNull();
      fs.writeFileSync(path.join(dir, 'path.txt'), 'electron');
      expect(electronBinary(dir, {})).toBeNull();
      fs.mkdirSync(path.join(dir, 'dist'));
      fs.writeFileSync(path.join(dir, 'dist', 'electron'), '');
      fs.writeFileSync(path.join(dir, 'dist', 'version'), '41.7.1');
      expect(electronBinary(dir, {})).toBeNull(); // left over from another Electron
      fs.writeFileSync(path.join(dir, 'dist', 'version'), 'v45.5.0');
      expect(electronBinary(dir, {})).toBe(path.join(dir, 'dist', 'electron'));
      expect(electronBinary(dir, { ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'nowhere') })).toBeNull();
      expect(electronBinary(dir, { ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'dist') })).toBe(path.join(dir, 'dist', 'electron'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads --port and refuses nonsense', () => {
    expect(parsePort([])).toBe(0);
    expect(parsePort(['--port', '8123'])).toBe(8123);
    expect(() => parsePort(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parsePort(['--port'])).toThrow(/--port/);
  });
});

describe('npm start without the Electron binary', () => {
  const ui = makeRenderer();
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-start-data-'));
  afterAll(() => {
    ui.cleanup();
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('says so, serves the browser host with a working session, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'scripts/start.ts')], {
      cwd: ROOT,
      env: { ...process.env, FIELDLINK_DATA_DIR: data, FIELDLINK_RENDERER_DIR: ui.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.resume();
      await expect.poll(() => out, { timeout: 30_000 }).toMatch(/opening the browser host instead: (\S+)/);
      expect(out).toContain('Electron is not installed here (npx install-electron --no fetches it)');
      const url = new URL(/opening the browser host instead: (\S+)/.exec(out)![1]!);
      expect(url.hostname).toBe('127.0.0.1');
      const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
      const port = Number(url.port);

      const page = await rawGet(port, '/');
      expect(page.status).toBe(200);
      expect(page.body).toContain('<title>Fieldlink</title>');
      const { ws, inbox } = await session(port, token);
      ws.send(JSON.stringify({ t: 'call', id: 1, name: 'app.info' }));
      expect(await inbox.next((m) => m.id === 1)).toMatchObject({ ok: true, value: { host: 'browser', dataDir: data } });
      ws.close();

      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
