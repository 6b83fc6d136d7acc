import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LabStatus, BoxStatus } from '../lab/index.ts';
import { FieldlinkError } from '../shared/errors.ts';
import { openSerial, type SerialShell } from '../electron/core/transport/serial/index.ts';
import { labSerialEnv } from '../lab/config.ts';
import type { Benchmark, Figure } from './harness.ts';

/*
 * 256 KiB of random bytes up a lab console at 115200 baud (throttled to 11,520 bytes/s, 8N1):
 * Fieldlink's raw chunked upload against ZMODEM (Debian lrzsz: sz on the technician side, its stdin
 * and stdout on the console device, rz on the box), on the same line in the same run. Once with the
 * console's kernel noise off, once with it on.
 */

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(here);
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const LAB = path.join(REPO, 'bin', 'fieldlink-lab.js');
const SIZE = 256 * 1024;
const NOISY_MEAN_S = 2;
const REMOTE_DIR = '/tmp/fl-bench-serial';
/**
 * Binary, and sz's own timeouts off (-O): the lab relay buffers ~140 KB between the technician's pty
 * and the box (pipe, pty and socat buffers), about 12 s at this line rate, so plain sz times out
 * waiting for rz's answer to its last frame while its bytes are still on the way. A real USB adapter
 * buffers far less. The run is still bounded (sz is killed after 180 s).
 */
const SZ_ARGS = ['-b', '-O'];

async function lab(...args: string[]): Promise<string> {
  const r = await execFileP(NODE, [LAB, ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
  return r.stdout;
}

async function openFreeConsole(status: LabStatus, progress: (m: string) => void): Promise<{ box: BoxStatus; shell: SerialShell }> {
  const until = Date.now() + 120_000;
  for (;;) {
    for (const b of status.boxes) {
      if (!b.consolePlugged || b.power !== 'on') continue;
      try {
        return { box: b, shell: await openConsole(b) };
      } catch (err) {
        if (!(err instanceof FieldlinkError) || err.code !== 'CONFLICT' || Date.now() > until) throw err;
      }
    }
    progress('every console is in use; waiting');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function openConsole(b: BoxStatus): Promise<SerialShell> {
  // The lab's consoles are by-id links outside /dev: Fieldlink opens them once their folder is named.
  process.env.FIELDLINK_SERIAL_DIRS = labSerialEnv().FIELDLINK_SERIAL_DIRS;
  return openSerial({ path: b.console, baud: b.baud, credentials: { user: 'root', password: b.password }, timeoutMs: 60_000 });
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Ours: SerialShell.put, timed from call to verified return; the sha256 is checked again on the box. */
async function ours(shell: SerialShell, data: Buffer, name: string): Promise<number> {
  const file = `${REMOTE_DIR}/${name}`;
  const started = performance.now();
  await shell.put(file, data, 0o644, { timeoutMs: 180_000 });
  const seconds = (performance.now() - started) / 1000;
  const r = await shell.exec(`sha256sum ${file} | cut -c1-64`);
  if (Buffer.from(r.stdout).toString().trim() !== sha(data)) throw new Error('Fieldlink upload: sha256 on the box differs');
  return seconds;
}

/**
 * The anchor: rz is started at the box's prompt, the console is released, and sz runs with the
 * console device as its stdin and stdout, the way a technician runs it from a terminal. Timed from
 * sz's start to its exit; the file is checked on the box afterwards.
 */
async function zmodem(b: BoxStatus, shell: SerialShell, local: string, data: Buffer, sub: string): Promise<{ seconds: number; shell: SerialShell }> {
  const dir = `${REMOTE_DIR}/${sub}`;
  await shell.exec(`rm -rf ${dir} && mkdir -p ${dir}`);
  const term = await shell.openTerminal();
  let seen = '';
  term.onData((c) => (seen = (seen + Buffer.from(c).toString('latin1')).slice(-4096)));
  await term.write(`cd ${dir} && rz -b -y; cd /\r`);
  const until = Date.now() + 15_000;
  // rz announces itself with a ZRINIT header: "**" ZDLE "B01…".
  while (!seen.includes('\x18B01') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (!seen.includes('\x18B01')) throw new Error('rz did not start on the box');
  await term.detach();
  const used = linkStamp(b.console);
  await shell.close();

  // Closing the console makes the lab's relay (like a re-enumerating USB adapter) come back on a new
  // pty a moment later (often with the same number): wait for the new link, the old pty has no far end.
  const device = await waitForDevice(b.console, used);
  const fd = fs.openSync(device, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  let szErr = '';
  const started = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn('sz', [...SZ_ARGS, local], { stdio: [fd, fd, 'pipe'] });
    p.stderr!.on('data', (c: Buffer) => (szErr = (szErr + c.toString('latin1')).slice(-2000)));
    const t = setTimeout(() => p.kill('SIGKILL'), 180_000);
    p.on('error', reject);
    p.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const usedStamp = linkStamp(b.console);
  fs.closeSync(fd);
  await waitForDevice(b.console, usedStamp);
  if (code !== 0) throw new Error(`sz exited with ${code}: ${szErr.replace(/[^\x20-\x7e\n]/g, '.').slice(-500)}`);
  const again = await openConsole(b);
  const r = await again.exec(`sha256sum ${dir}/${path.basename(local)} | cut -c1-64`);
  if (Buffer.from(r.stdout).toString().trim() !== sha(data)) throw new Error('ZMODEM upload: sha256 on the box differs');
  return { seconds, shell: again };
}

/** Which making of the by-id link this is (tmpfs reuses inode numbers, so the time goes with it). */
function linkStamp(link: string): string {
  const st = fs.lstatSync(link, { bigint: true });
  return `${st.ino}:${st.ctimeNs}`;
}

async function waitForDevice(link: string, oldStamp: string): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      if (linkStamp(link) !== oldStamp) return fs.realpathSync(link);
    } catch {
      // not made again yet
    }
    if (Date.now() > until) throw new Error(`the console ${link} did not come back after close`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const bench: Benchmark = {
  name: 'serial-upload',
  description: '256 KiB up a 115200-baud lab console: Fieldlink raw chunks vs ZMODEM (lrzsz), as a fraction of the 11,520 B/s line rate',
  async requires() {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs Linux and root (the edge-box lab)';
    try {
      await execFileP('sz', ['--version']);
    } catch {
      return 'needs lrzsz (sz) on this machine: apt-get install lrzsz';
    }
    try {
      const s = JSON.parse(await lab('status', '--json')) as LabStatus;
      if (!s.up || s.boxes.length === 0) return 'needs the lab up: npm run lab -- up --boxes 3 --provisioned 1';
    } catch {
      return 'needs the lab up: npm run lab -- up --boxes 3 --provisioned 1';
    }
    return null;
  },

  async run(progress) {
    const status = JSON.parse(await lab('status', '--json')) as LabStatus;
    const restoreNoise = String(status.options?.consoleNoiseS ?? 20);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-serial-'));
    const data = randomBytes(SIZE);
    const local = path.join(tmp, 'payload.bin');
    fs.writeFileSync(local, data);
    const opened = await openFreeConsole(status, progress);
    const box = opened.box;
    let shell = opened.shell;
    const lineRate = box.baud / 10;
    const fraction = (s: number) => SIZE / s / lineRate;
    try {
      progress(`console of ${box.name} at ${box.baud} baud; noise off`);
      await lab('noise', '0');
      await shell.exec(`rm -rf ${REMOTE_DIR} && mkdir -p ${REMOTE_DIR}`);
      const oursQuiet = await ours(shell, data, 'quiet.bin');
      progress(`Fieldlink, noise off: ${oursQuiet.toFixed(2)} s`);
      const zq = await zmodem(box, shell, local, data, 'zq');
      shell = zq.shell;
      progress(`ZMODEM, noise off: ${zq.seconds.toFixed(2)} s`);

      progress(`noise on: a kernel line every ${NOISY_MEAN_S} s on average`);
      await lab('noise', String(NOISY_MEAN_S));
      const noiseBefore = shell.kernelLinesRemoved;
      const oursNoisy = await ours(shell, data, 'noisy.bin');
      const noiseLines = shell.kernelLinesRemoved - noiseBefore;
      progress(`Fieldlink, noise on: ${oursNoisy.toFixed(2)} s (${noiseLines} kernel lines cut from the console meanwhile)`);
      const zn = await zmodem(box, shell, local, data, 'zn');
      shell = zn.shell;
      progress(`ZMODEM, noise on: ${zn.seconds.toFixed(2)} s`);

      const figures: Figure[] = [
        { label: 'payload', value: SIZE, unit: 'bytes' },
        { label: 'line rate (8N1)', value: lineRate, unit: 'bytes/s' },
        { side: 'ours', label: 'Fieldlink raw upload, noise off', value: fraction(oursQuiet), unit: 'of line rate' },
        { side: 'anchor', label: 'ZMODEM sz→rz, noise off', value: fraction(zq.seconds), unit: 'of line rate' },
        { side: 'ours', label: 'Fieldlink raw upload, noise on', value: fraction(oursNoisy), unit: 'of line rate' },
        { side: 'anchor', label: 'ZMODEM sz→rz, noise on', value: fraction(zn.seconds), unit: 'of line rate' },
        { side: 'ours', label: 'Fieldlink time, noise off', value: oursQuiet, unit: 's' },
        { side: 'anchor', label: 'ZMODEM time, noise off', value: zq.seconds, unit: 's' },
        { label: 'kernel lines on the console during the noisy Fieldlink upload', value: noiseLines, unit: 'lines' },
      ];
      return {
        figures,
        anchor: `rz -b -y (on ${box.name}) ← sz ${SZ_ARGS.join(' ')} payload.bin <${box.console} >${box.console}`,
        ratio: {
          value: fraction(oursQuiet),
          goal: 0.9,
          better: 'higher',
          meaning: 'Fieldlink payload rate / line rate (11,520 B/s at 115200 8N1), console noise off, sha256 verified on the box',
        },
        notes: [
          `Fieldlink / ZMODEM throughput: ${(zq.seconds / oursQuiet).toFixed(3)} noise off, ${(zn.seconds / oursNoisy).toFixed(3)} noise on.`,
          'Kernel noise travels box→technician only (lab/console/console.ts), so it can slow acknowledgements but never touch uploaded bytes.',
          'The noise switch is lab-wide; it is set back to the value the lab was brought up with.',
        ],
      };
    } finally {
      await shell.exec(`rm -rf ${REMOTE_DIR}`).catch(() => undefined);
      await shell.close().catch(() => undefined);
      await lab('noise', restoreNoise).catch(() => undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
