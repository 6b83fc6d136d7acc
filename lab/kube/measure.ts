import fs from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { boxPaths } from './box-files.ts';
import { tempState, waitFor, writeServerJson } from './testing.ts';

/**
 * The hub's cost, measured on this machine: RSS of the one hub process serving N boxes (a few with
 * pods-500, one pods-5000), and the latency of listing 5000 pods over its TLS unix socket.
 *   node_modules/.bin/node lab/kube/measure.ts [--boxes 50] [--lists 20]
 * Uses a temp state folder and its own hub process; removes both at the end.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const BOXES = arg('--boxes', 50);
const LISTS = arg('--lists', 20);

/** utime + stime of a process in seconds (clock ticks are 100 Hz on Linux). */
async function cpuS(pid: number): Promise<number> {
  const f = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssKiB(pid: number): Promise<number> {
  return fs.readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0));
}

async function client(dir: string) {
  const kc = parseYaml(await fs.readFile(boxPaths(dir).kubeconfig, 'utf8')) as Record<string, Record<string, Record<string, string>>[]>;
  const user = kc.users![0]!.user!;
  const agent = new https.Agent({
    keepAlive: true,
    ca: Buffer.from(kc.clusters![0]!.cluster!['certificate-authority-data']!, 'base64'),
    cert: Buffer.from(user['client-certificate-data']!, 'base64'),
    key: Buffer.from(user['client-key-data']!, 'base64'),
  });
  return (p: string) =>
    new Promise<{ ms: number; bytes: number; status: number }>((resolve, reject) => {
      const t0 = performance.now();
      const req = https.get({ socketPath: boxPaths(dir).socket, path: p, agent, servername: 'kubernetes', headers: { accept: 'application/json' } }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
    });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const state = await tempState();
const scenarios = ['healthy', 'crashloop', 'oom', 'imagepull', 'diskpressure', 'mixed'];
const dirs: string[] = [];
for (let i = 1; i <= BOXES; i++) {
  const scenario = i === 1 ? 'pods-5000' : i <= 5 ? 'pods-500' : scenarios[i % scenarios.length]!;
  dirs.push(await writeServerJson(state, { name: `box-${String(i).padStart(2, '0')}`, hostname: `edge-${i}`, ip: `10.77.0.${10 + i}`, scenario }));
}
const started = performance.now();
const hub = spawn(path.join(HERE, '..', '..', 'node_modules', '.bin', 'node'), [path.join(HERE, 'hub.ts'), '--state', state], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, FIELDLINK_LOG_LEVEL: 'warn' },
});
try {
  await waitFor(
    'every box served',
    async () => {
      for (const d of dirs) await fs.stat(boxPaths(d).kubeconfig);
      return true;
    },
    300_000,
  );
  const upS = (performance.now() - started) / 1000;
  const cpu0 = await cpuS(hub.pid!);
  await new Promise((r) => setTimeout(r, 10_000));
  const idleCpuPct = ((await cpuS(hub.pid!)) - cpu0) * 10;
  const rssIdle = await rssKiB(hub.pid!);
  const get = await client(dirs[0]!);
  const first = await get('/api/v1/pods');
  const times: number[] = [];
  for (let i = 0; i < LISTS; i++) {
    const r = await get('/api/v1/pods');
    if (r.status !== 200) throw new Error(`list answered ${r.status}`);
    times.push(r.ms);
  }
  const paged: number[] = [];
  for (let i = 0; i < Math.min(LISTS, 10); i++) {
    const r = await get('/api/v1/pods?limit=500');
    paged.push(r.ms);
  }
  const rssAfter = await rssKiB(hub.pid!);
  console.log(
    JSON.stringify(
      {
        boxes: BOXES,
        scenarios: { 'pods-5000': 1, 'pods-500': Math.min(4, BOXES - 1), other: Math.max(0, BOXES - 5) },
        hubReadyS: Number(upS.toFixed(1)),
        hubIdleCpuPctOfOneCore: Number(idleCpuPct.toFixed(1)),
        hubRssMiB: { idle: Math.round(rssIdle / 1024), afterLists: Math.round(rssAfter / 1024) },
        list5000Pods: { bytes: first.bytes, firstMs: Math.round(first.ms), medianMs: Math.round(pct(times, 50)), p95Ms: Math.round(pct(times, 95)), n: times.length },
        list500PageOf5000: { medianMs: Math.round(pct(paged, 50)), n: paged.length },
      },
      null,
      2,
    ),
  );
} finally {
  hub.kill('SIGTERM');
  await new Promise((r) => hub.once('exit', r));
  await fs.rm(state, { recursive: true, force: true });
}
