import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../electron/core/app.ts';
import { resolveDataDir } from '../electron/core/config/index.ts';
import { createLogger, logFileOf, logFilePath } from '../electron/core/log/index.ts';
import { DEFAULT_RENDERER_DIR, startWebHost } from '../electron/web.ts';
import { ensureRendererBuilt } from '../electron/web/renderer-build.ts';
import { FieldlinkError } from '../shared/errors.ts';

/**
 * `npm start`: Electron when its binary is installed, otherwise the browser host on 127.0.0.1
 * (npm ci never fetches the binary: `npx install-electron --no` does, where the network allows).
 * `npm start -- --port 8080` fixes the port; FIELDLINK_DATA_DIR picks the data folder;
 * FIELDLINK_RENDERER_DIR serves a renderer built elsewhere (and is never rebuilt). The browser host
 * builds the UI first when it is missing or older than its sources, as `fieldlink ui` does, and
 * logs to <data folder>/logs/fieldlink.log.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');

/**
 * The Electron binary's path if it is really there, else null. Read from the files the electron
 * package's installer leaves (path.txt, dist/version), never by importing `electron`: since
 * Electron 42 that import downloads the binary on the spot when it is missing, and build machines
 * have no network for it. A binary left from another Electron version does not count.
 */
export function electronBinary(electronDir = path.join(ROOT, 'node_modules', 'electron'), env: NodeJS.ProcessEnv = process.env): string | null {
  const read = (file: string) => fs.readFileSync(path.join(electronDir, file), 'utf8').trim();
  let exe: string;
  try {
    exe = read('path.txt');
  } catch {
    return null;
  }
  if (!exe) return null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const bin = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, exe);
    return fs.existsSync(bin) ? bin : null;
  }
  try {
    const { version } = JSON.parse(read('package.json')) as { version: string };
    if (read(path.join('dist', 'version')).replace(/^v/, '') !== version) return null;
  } catch {
    return null;
  }
  const bin = path.join(electronDir, 'dist', exe);
  return fs.existsSync(bin) ? bin : null;
}

export function parsePort(argv: string[]): number {
  const i = argv.indexOf('--port');
  if (i === -1) return 0;
  const port = Number(argv[i + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FieldlinkError('BAD_REQUEST', `--port needs a number from 0 to 65535, not ${argv[i + 1] ?? 'nothing'}.`);
  return port;
}

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(): Promise<number> {
  const port = parsePort(process.argv.slice(2));
  if (electronBinary()) return run(path.join(BIN, 'electron-forge'), ['start']);

  const custom = process.env.FIELDLINK_RENDERER_DIR;
  const rendererDir = custom ? path.resolve(custom) : DEFAULT_RENDERER_DIR;
  if (!custom) await ensureRendererBuilt({ outDir: rendererDir, progress: (line) => console.error(line) });

  const dataDir = resolveDataDir();
  const logger = createLogger({ file: logFilePath(dataDir) });
  const app = createApp({ host: 'browser', dataDir, logger });
  const host = await startWebHost({ app, port, rendererDir });
  console.log(`Electron is not installed here (npx install-electron --no fetches it); opening the browser host instead: ${host.url}`);
  console.log(`Log: ${logFileOf(logger) ?? 'standard error'}`);
  console.log('Serving until Ctrl-C.');

  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void host
        .close()
        .finally(() => app.close())
        .finally(() => resolve(0));
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof FieldlinkError ? err.message : err);
      process.exit(1);
    },
  );
}
