import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { paths } from '../config.ts';
import { readState, type BoxRecord } from '../state.ts';
import { bootBox, initPid, killBox } from '../box/lifecycle.ts';
import { BoxConsole } from './console.ts';
import type { LabdRequest, LabdReply } from './control.ts';

/**
 * The lab daemon: one process for the whole lab (not one per box), in the root namespace. It
 * holds every box's serial console and power-cycles boxes (`reboot`, or `reboot` typed on a box).
 */
const state = readState();
if (!state) {
  console.error('labd: no lab state; run fieldlink-lab up');
  process.exit(1);
}
const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);
const consoles = new Map<string, BoxConsole>();
const busy = new Map<string, Promise<void>>();

for (const b of state.boxes) {
  const c = new BoxConsole(b, { noiseMeanS: state.options.consoleNoiseS, log });
  consoles.set(b.name, c);
  c.start();
  if (initPid(b)) c.boxBooted();
}

function serial(name: string, fn: () => Promise<void>): Promise<void> {
  const prev = busy.get(name) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  busy.set(
    name,
    next.catch(() => {}),
  );
  return next;
}

async function reboot(b: BoxRecord): Promise<void> {
  const c = consoles.get(b.name)!;
  c.announce('\r\nreboot: Restarting system\r\n');
  // Let the farewell reach the cable before the power goes.
  await new Promise((r) => setTimeout(r, 200));
  c.boxDown();
  await killBox(b);
  fs.rmSync(path.join(paths.box(b.name), 'run', 'lab', 'reboot-request'), { force: true });
  await bootBox(b);
  c.boxBooted();
  log(`${b.name} rebooted`);
}

async function handle(req: LabdRequest): Promise<LabdReply> {
  if (req.op === 'ping') return { ok: true };
  if (req.op === 'status') {
    return { ok: true, consoles: Object.fromEntries([...consoles].map(([n, c]) => [n, { ...c.status(), path: c.link }])) };
  }
  if (req.op === 'noise') {
    for (const c of consoles.values()) c.setNoise(req.seconds);
    return { ok: true };
  }
  const b = state!.boxes.find((x) => x.name === req.box);
  const c = consoles.get(req.box);
  if (!b || !c) return { ok: false, code: 'NOT_FOUND', message: `No box named ${req.box} in this lab.` };
  switch (req.op) {
    case 'unplug':
      c.unplug();
      return { ok: true };
    case 'plug':
      c.plug();
      return { ok: true };
    case 'kernel':
      c.emitKernel(req.text);
      return { ok: true };
    case 'reboot':
      await serial(b.name, () => reboot(b));
      return { ok: true };
  }
}

const server = net.createServer((sock) => {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => {});
  sock.on('data', (d: string) => {
    buf += d;
    if (buf.length > 64 * 1024) return sock.destroy();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let req: LabdRequest;
      try {
        req = JSON.parse(line) as LabdRequest;
      } catch {
        sock.write(JSON.stringify({ ok: false, code: 'BAD_REQUEST', message: 'not JSON' }) + '\n');
        continue;
      }
      handle(req).then(
        (r) => sock.write(JSON.stringify(r) + '\n'),
        (e: unknown) => sock.write(JSON.stringify({ ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }) + '\n'),
      );
    }
  });
});
fs.rmSync(paths.labdSock(), { force: true });
server.listen(paths.labdSock(), () => {
  fs.chmodSync(paths.labdSock(), 0o600);
  fs.writeFileSync(paths.labdPid(), String(process.pid));
  log(`labd up: ${state.boxes.length} consoles`);
});

// `reboot` typed on a box leaves a request in its /run; the box cannot reach the lab otherwise.
const poll = setInterval(() => {
  for (const b of state!.boxes) {
    if (fs.existsSync(path.join(paths.box(b.name), 'run', 'lab', 'reboot-request'))) {
      fs.rmSync(path.join(paths.box(b.name), 'run', 'lab', 'reboot-request'), { force: true });
      serial(b.name, () => reboot(b)).catch((e: unknown) => log(`${b.name}: reboot failed: ${String(e)}`));
    }
  }
}, 1000);

function shutdown(): void {
  clearInterval(poll);
  server.close();
  for (const c of consoles.values()) c.close();
  fs.rmSync(paths.labdSock(), { force: true });
  // Give socat a moment to remove its by-id links on SIGTERM.
  setTimeout(() => process.exit(0), 300);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
