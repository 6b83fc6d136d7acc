import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SerialLink, readable, serialByIdDirs } from '../transport/index.ts';

/** One USB-serial cable (or UART) the laptop has now. */
export interface SerialPortInfo {
  /** The stable name to open and to record: a by-id link when there is one. */
  path: string;
  /** The device node it leads to now (/dev/ttyUSB0, a pty in the lab). */
  device: string;
  /** The adapter chip, when known: FTDI, CP210x, CH340, PL2303. */
  chip: string | null;
  /** The adapter's own serial number (from its by-id name or the OS), not the box's. */
  adapterSerial: string | null;
  manufacturer: string | null;
  vendorId: string | null;
  productId: string | null;
}

const CHIPS_BY_VENDOR: Record<string, string> = { '0403': 'FTDI', '10c4': 'CP210x', '1a86': 'CH340', '067b': 'PL2303' };
const CHIPS_BY_NAME: Array<[RegExp, string]> = [
  [/FTDI|FT232|FT2232/i, 'FTDI'],
  [/Silicon_Labs|CP210/i, 'CP210x'],
  [/1a86|CH34[01]|QinHeng/i, 'CH340'],
  [/Prolific|PL2303/i, 'PL2303'],
];
/** udev's by-id form: usb-<vendor>_<product>_<serial>-if<NN>[-port<N>]. */
const BY_ID_NAME = /^usb-(.+)_([A-Za-z0-9]{4,64})-if\d+(?:-port\d+)?$/;
const MAX_PORTS = 256;
/** How long a cable's link must stay gone to count as pulled (well inside the 2 s the issue names). */
const GONE_AFTER_MS = 700;

/** The chip behind an adapter, from its USB vendor id or, failing that, its by-id name. */
export function chipOf(o: { vendorId?: string | null; name?: string | null }): string | null {
  const byVendor = o.vendorId ? CHIPS_BY_VENDOR[o.vendorId.toLowerCase()] : undefined;
  if (byVendor) return byVendor;
  for (const [re, chip] of CHIPS_BY_NAME) if (o.name && re.test(o.name)) return chip;
  return null;
}

/**
 * Every serial port in the by-id folders (udev's /dev/serial/by-id and those FIELDLINK_SERIAL_DIRS
 * adds), plus /dev/ttyUSB* and /dev/ttyACM* adapters that no by-id link names. Reading folders only:
 * no port is opened. Bounded, and a dangling link (a cable being pulled) is simply not there.
 */
export function listSerialPorts(o: { byIdDirs?: string[]; devDir?: string } = {}): SerialPortInfo[] {
  const out: SerialPortInfo[] = [];
  const devices = new Set<string>();
  for (const dir of o.byIdDirs ?? serialByIdDirs()) {
    for (const name of readdir(dir)) {
      if (out.length >= MAX_PORTS) return out;
      const link = path.join(dir, name);
      const device = realpath(link);
      if (!device) continue;
      const m = BY_ID_NAME.exec(name);
      devices.add(device);
      out.push({ path: link, device, chip: chipOf({ name }), adapterSerial: m?.[2] ?? null, manufacturer: m ? m[1]!.split('_')[0]! : null, vendorId: null, productId: null });
    }
  }
  const devDir = o.devDir ?? '/dev';
  for (const name of readdir(devDir)) {
    if (out.length >= MAX_PORTS) break;
    if (!/^tty(?:USB|ACM)\d+$/.test(name)) continue;
    const device = path.join(devDir, name);
    if (devices.has(device)) continue;
    out.push({ path: device, device, chip: null, adapterSerial: null, manufacturer: null, vendorId: null, productId: null });
  }
  return out;
}

/**
 * What the OS adds about each adapter (vendor and product id, manufacturer), from serialport's list.
 * On Linux that list runs udevadm, and serialport crashes the process when udevadm is missing (an
 * 'error' event nobody can catch), so it is only asked where udevadm exists.
 */
export async function withOsDetails(ports: SerialPortInfo[]): Promise<SerialPortInfo[]> {
  if (process.platform === 'linux' && !hasUdevadm()) return ports;
  let listed: Array<{ path: string; vendorId?: string; productId?: string; manufacturer?: string; serialNumber?: string }>;
  try {
    const { SerialPort } = await import('serialport');
    listed = await SerialPort.list();
  } catch {
    return ports;
  }
  return ports.map((p) => {
    const l = listed.find((x) => x.path === p.device || x.path === p.path);
    if (!l) return p;
    return {
      ...p,
      vendorId: l.vendorId ?? null,
      productId: l.productId ?? null,
      manufacturer: l.manufacturer?.slice(0, 64) ?? p.manufacturer,
      adapterSerial: p.adapterSerial ?? l.serialNumber?.slice(0, 64) ?? null,
      chip: chipOf({ vendorId: l.vendorId, name: p.path }) ?? p.chip,
    };
  });
}

let udevadm: boolean | undefined;
function hasUdevadm(): boolean {
  if (udevadm === undefined) {
    try {
      execFileSync('udevadm', ['--version'], { stdio: 'ignore', timeout: 2000 });
      udevadm = true;
    } catch {
      udevadm = false;
    }
  }
  return udevadm;
}

/**
 * Watches for cables plugged in and pulled: the by-id folders and /dev are read every `pollMs`
 * (and at once when fs.watch says they changed), so a new cable is reported well within 2 s.
 */
export interface SerialWatcherOptions {
  onPlugged: (p: SerialPortInfo) => void;
  onUnplugged: (p: SerialPortInfo) => void;
  pollMs?: number;
  /** Tests pass their own listing. */
  list?: () => SerialPortInfo[];
}

export class SerialWatcher {
  readonly #o: SerialWatcherOptions;
  #known = new Map<string, SerialPortInfo>();
  #missingSince = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #watchers: fs.FSWatcher[] = [];

  constructor(o: SerialWatcherOptions) {
    this.#o = o;
  }

  start(): void {
    this.scan();
    this.#timer = setInterval(() => this.scan(), this.#o.pollMs ?? 500);
    this.#timer.unref?.();
    for (const dir of serialByIdDirs()) {
      try {
        this.#watchers.push(fs.watch(dir, () => this.scan()));
      } catch {
        // The folder does not exist until the first adapter is plugged in: the poll covers it.
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }

  /** Compares what is there now with what was; reports the difference. */
  scan(now = Date.now()): void {
    const present = new Map((this.#o.list ?? listSerialPorts)().map((p) => [p.path, p]));
    for (const [p, info] of present) {
      this.#missingSince.delete(p);
      // A link re-made for the same cable (a driver or relay re-creating it) is the same cable.
      if (!this.#known.has(p)) this.#o.onPlugged(info);
      this.#known.set(p, info);
    }
    for (const [p, info] of this.#known) {
      if (present.has(p)) continue;
      // Gone for a moment is not pulled: udev and the lab's relay re-make a link after a close.
      const since = this.#missingSince.get(p) ?? now;
      this.#missingSince.set(p, since);
      if (now - since < GONE_AFTER_MS) continue;
      this.#missingSince.delete(p);
      this.#known.delete(p);
      this.#o.onUnplugged(info);
    }
  }
}

const HOST = '([A-Za-z0-9][A-Za-z0-9._-]{0,62})';
/** agetty's "edge-03 login: ", or a shell left logged in: "root@edge-03:~# ", "[root@edge-03 ~]# ". */
const PROMPTS = [new RegExp(`(?:^|\\n)\\s*${HOST} login:\\s*$`), new RegExp(`(?:^|\\n)\\[?[\\w.-]{1,32}@${HOST}[: ][^\\n]{0,200}[#$]\\s*$`)];
const promptHost = (text: string): string | null => {
  for (const re of PROMPTS) {
    const m = re.exec(text);
    if (m) return m[1]!;
  }
  return null;
};

export { promptHost };

/**
 * Names the box on a cable from its login prompt ("edge-03 login:"), or the prompt of a shell someone
 * left logged in ("root@edge-03:~#"), without logging in: one Enter,
 * then whatever the console prints for a moment. Console text is untrusted: only a prompt of the
 * exact shape counts, and the hostname must look like one.
 */
export async function readLoginBanner(p: string, o: { baud?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ hostname: string | null }> {
  // A peek: whoever opens the console for real (the Console view, a command) takes it over at once.
  const link = await SerialLink.open(p, o.baud ?? 115200, o.signal, { yields: true });
  let text = '';
  try {
    link.rx.setTap((chunk) => {
      if (text.length < 16_384) text += Buffer.from(chunk).toString('latin1');
    });
    // One Enter, and a second if the console stayed silent (the first can be lost while a freshly
    // plugged adapter settles): never more, so nothing piles up at a login prompt.
    const started = Date.now();
    const until = started + (o.timeoutMs ?? 2500);
    await link.write('\r').catch(() => undefined);
    let nudged = false;
    while (Date.now() < until && !o.signal?.aborted && !link.down && promptHost(readable(text)) === null) {
      if (!nudged && text.length === 0 && Date.now() - started > 1000) {
        nudged = true;
        await link.write('\r').catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    link.rx.setTap(null);
    await link.close();
  }
  return { hostname: promptHost(readable(text)) };
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function realpath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}
