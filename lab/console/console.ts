import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { paths } from '../config.ts';
import { boxEnv } from '../box/rootfs.ts';
import type { BoxRecord } from '../state.ts';
import { Throttle } from './throttle.ts';
import { formatKernelLine, kernelMessage, nextNoiseDelayMs } from './noise.ts';

export interface ConsoleStatus {
  plugged: boolean;
  /** Someone has the technician end open (socat entered its transfer loop). */
  open: boolean;
  boxSide: boolean;
}

/**
 * One box's serial console: a technician-side pty (the "USB adapter", a stable by-id symlink made
 * by socat) and a box-side pty whose slave is login's controlling tty, joined by two throttled
 * directions at the box's baud rate. Bytes pass unchanged both ways.
 */
export class BoxConsole {
  readonly box: BoxRecord;
  private tech: ChildProcess | null = null;
  private techOpen = false;
  private boxProc: ChildProcess | null = null;
  private plugged = true;
  private boxUp = false;
  private closed = false;
  private noiseTimer: NodeJS.Timeout | null = null;
  private bootAt = Date.now();
  private readonly toTech: Throttle;
  private readonly toBox: Throttle;
  private noiseMeanS: number;
  private readonly log: (msg: string) => void;

  constructor(box: BoxRecord, opts: { noiseMeanS: number; log: (msg: string) => void }) {
    this.box = box;
    this.noiseMeanS = opts.noiseMeanS;
    this.log = opts.log;
    const rate = box.baud / 10;
    this.toTech = new Throttle({
      bytesPerSecond: rate,
      // With nobody on the cable the box still transmits: the bytes are lost, at line speed.
      deliver: (c) => {
        if (this.techOpen && this.tech?.stdin?.writable) this.tech.stdin.write(c);
      },
      pause: () => this.boxProc?.stdout?.pause(),
      resume: () => this.boxProc?.stdout?.resume(),
    });
    this.toBox = new Throttle({
      bytesPerSecond: rate,
      deliver: (c) => {
        if (this.boxProc?.stdin?.writable) this.boxProc.stdin.write(c);
      },
      pause: () => this.tech?.stdout?.pause(),
      resume: () => this.tech?.stdout?.resume(),
    });
  }

  get link(): string {
    return paths.consoleLink(this.box.serial);
  }

  status(): ConsoleStatus {
    return { plugged: this.plugged, open: this.techOpen, boxSide: this.boxProc !== null };
  }

  start(): void {
    this.spawnTech();
    this.scheduleNoise();
  }

  setNoise(meanS: number): void {
    this.noiseMeanS = meanS;
    this.scheduleNoise();
  }

  unplug(): void {
    this.plugged = false;
    this.toTech.clear();
    this.toBox.clear();
    this.tech?.kill('SIGTERM');
  }

  plug(): void {
    if (this.plugged) return;
    this.plugged = true;
    this.spawnTech();
  }

  /** The box has booted: play its boot log, then a getty-style login prompt. */
  boxBooted(): void {
    this.boxUp = true;
    this.bootAt = Date.now();
    const kmsg = readText(path.join(paths.box(this.box.name), 'run', 'lab', 'kmsg')) ?? '';
    const units = ['Journal Service', 'OpenBSD Secure Shell server', 'Avahi mDNS/DNS-SD Stack'];
    if (fs.existsSync(path.join(paths.box(this.box.name), 'k3s', 'server.json'))) units.push('Lightweight Kubernetes');
    const text = kmsg.split('\n').filter(Boolean).join('\r\n') + '\r\n' + units.map((u) => `[  OK  ] Started ${u}.`).join('\r\n') + '\r\n';
    this.toTech.push(Buffer.from(text));
    this.spawnBox();
  }

  /** The box lost power: the console goes quiet until it boots again. */
  boxDown(): void {
    this.boxUp = false;
    this.toBox.clear();
    this.boxProc?.kill('SIGKILL');
    this.boxProc = null;
  }

  announce(text: string): void {
    this.toTech.push(Buffer.from(text));
  }

  close(): void {
    this.closed = true;
    if (this.noiseTimer) clearTimeout(this.noiseTimer);
    this.toTech.close();
    this.toBox.close();
    this.tech?.kill('SIGTERM');
    this.boxProc?.kill('SIGKILL');
  }

  private spawnTech(): void {
    if (this.closed || !this.plugged || this.tech) return;
    fs.mkdirSync(path.dirname(this.link), { recursive: true });
    // wait-slave: socat only starts relaying once the technician opens the device; it exits when
    // they close it (EIO on the master), and we make a fresh one, as udev would on re-enumeration.
    const p = spawn('socat', ['-d', '-d', `PTY,link=${this.link},rawer,wait-slave,mode=660`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.tech = p;
    this.techOpen = false;
    let errTail = '';
    p.stderr!.on('data', (c: Buffer) => {
      errTail = (errTail + c.toString('latin1')).slice(-2000);
      if (!this.techOpen && errTail.includes('starting data transfer loop')) this.techOpen = true;
    });
    p.stdout!.on('data', (c: Buffer) => this.toBox.push(c));
    p.stdin!.on('error', () => {});
    p.on('exit', () => {
      if (this.tech === p) {
        this.tech = null;
        this.techOpen = false;
        this.toBox.clear();
      }
      if (!this.closed && this.plugged) setTimeout(() => this.spawnTech(), 20);
    });
  }

  private spawnBox(): void {
    if (this.closed || !this.boxUp || this.boxProc) return;
    const init = Number(readText(path.join(paths.box(this.box.name), 'run', 'lab', 'init.pid')));
    if (!init) return;
    const p = spawn('nsenter', ['-t', String(init), '-m', '-u', '-n', '-p', '--', 'socat', 'STDIO', 'EXEC:/sbin/agetty --noclear -8 - 115200 vt220,pty,setsid,ctty,stderr,sane'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...boxEnv(), TERM: 'vt220' },
      cwd: '/',
    });
    this.boxProc = p;
    p.stdout!.on('data', (c: Buffer) => this.toTech.push(c));
    p.stdin!.on('error', () => {});
    p.on('exit', () => {
      if (this.boxProc === p) this.boxProc = null;
      // As init respawns getty after every logout or failed attempt.
      if (!this.closed && this.boxUp) setTimeout(() => this.spawnBox(), 300);
    });
  }

  private scheduleNoise(): void {
    if (this.noiseTimer) clearTimeout(this.noiseTimer);
    this.noiseTimer = null;
    if (this.closed || !(this.noiseMeanS > 0)) return;
    this.noiseTimer = setTimeout(() => {
      this.noiseTimer = null;
      if (this.boxUp) this.emitKernel(kernelMessage());
      this.scheduleNoise();
    }, nextNoiseDelayMs(this.noiseMeanS));
    this.noiseTimer.unref();
  }

  /** A kernel message goes to the console wherever the cursor is, and into the box's kernel log. */
  emitKernel(text: string): void {
    this.toTech.push(Buffer.from(formatKernelLine(Date.now() - this.bootAt, text) + '\r\n'));
    const init = readText(path.join(paths.box(this.box.name), 'run', 'lab', 'init.pid'));
    if (!init) return;
    const p = spawn('nsenter', ['-t', init, '-m', '-u', '-p', '--', '/usr/local/sbin/lab-journal', '--kernel', text], {
      stdio: 'ignore',
      env: boxEnv(),
      cwd: '/',
    });
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('exit', () => clearTimeout(t));
    p.on('error', (e) => this.log(`${this.box.name}: kernel log: ${e.message}`));
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
