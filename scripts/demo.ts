import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../shared/errors.ts';
import { NS, labDir, status, up } from '../lab/index.ts';
import { labSerialEnv } from '../lab/config.ts';

/**
 * `npm run demo`: a mixed site (factory and provisioned boxes, the `mixed` scenario) and the app
 * running in the technician namespace, opened from this machine's browser on 127.0.0.1.
 *
 * The app listens on 127.0.0.1 inside fl-tech; two socat relays join that loopback to this
 * machine's loopback through a unix socket, so no route into the lab subnets is ever made from
 * the machine's own namespace. `--port P` picks the port (default 8377); Ctrl-C stops the app and
 * leaves the lab up (`npm run lab -- down` removes it).
 */
const ROOT = path.resolve(import.meta.dirname, '..');

function parsePort(argv: string[]): number {
  const i = argv.indexOf('--port');
  if (i === -1) return 8377;
  const p = Number(argv[i + 1]);
  if (!Number.isInteger(p) || p < 1024 || p > 65535) throw new FieldlinkError('BAD_REQUEST', `--port needs a number from 1024 to 65535, not ${argv[i + 1] ?? 'nothing'}.`);
  return p;
}

async function main(): Promise<number> {
  const port = parsePort(process.argv.slice(2));
  const current = await status({ memory: false });
  if (current.up) {
    process.stderr.write(`Using the lab that is already up (${current.boxes.length} boxes).\n`);
  } else {
    process.stderr.write('Bringing up a mixed site: 6 boxes, 3 of them provisioned, scenario "mixed"…\n');
    const r = await up({ boxes: 6, provisioned: 3, scenario: 'mixed', progress: (m) => process.stderr.write(`… ${m}\n`) });
    process.stderr.write(`Lab up in ${r.seconds.toFixed(1)} s.\n`);
  }
  const s = await status({ memory: false });
  const sock = path.join(labDir(), `demo-ui-${port}.sock`);
  fs.rmSync(sock, { force: true });
  const children: ChildProcess[] = [];
  const start = (cmd: string, args: string[], env?: NodeJS.ProcessEnv, inherit = false) => {
    const c = spawn(cmd, args, { cwd: ROOT, stdio: inherit ? 'inherit' : ['ignore', 'ignore', 'inherit'], env: env ?? process.env });
    children.push(c);
    return c;
  };
  // Inside fl-tech: the unix socket into the app's own loopback.
  start('ip', ['netns', 'exec', NS.tech, 'socat', `UNIX-LISTEN:${sock},fork,mode=600`, `TCP:127.0.0.1:${port}`]);
  // Here: this machine's 127.0.0.1 on the same port, so the Host header the app checks matches.
  start('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`]);
  const dataDir = path.join(labDir(), 'demo-data');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const app = start(
    'ip',
    ['netns', 'exec', NS.tech, process.execPath, path.join(ROOT, 'scripts', 'start.ts'), '--port', String(port)],
    { ...labSerialEnv(), FIELDLINK_DATA_DIR: dataDir },
    true,
  );

  process.stderr.write(`\nThe site (the app runs in ${NS.tech}, ${s.tech.ip}; the collector is ${s.collector.url}):\n`);
  for (const b of s.boxes) {
    process.stderr.write(`  ${b.name}  ${b.ip.padEnd(11)}  ${b.state.padEnd(11)}  ${b.arch}  password ${b.password}  console ${b.console}\n`);
  }
  process.stderr.write(`\nOpen the URL the app prints below (http://127.0.0.1:${port}/#token=…) in this machine's browser. Ctrl-C stops the app.\n\n`);

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      fs.rmSync(sock, { force: true });
      process.stderr.write('\nThe app is stopped; the lab stays up (npm run lab -- down removes it).\n');
      resolve(code);
    };
    app.on('exit', (code) => stop(code ?? 0));
    process.once('SIGINT', () => stop(0)).once('SIGTERM', () => stop(0));
  });
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`demo: ${err instanceof FieldlinkError ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
