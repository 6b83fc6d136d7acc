import { isIP } from 'node:net';
import nodePath from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Box } from '../../../shared/model.ts';

/** Where a command should go, after the technician's words have been understood. */
export type Target =
  { kind: 'ssh'; host: string; port: number | undefined; user: string | undefined; boxId: string | null } | { kind: 'serial'; path: string; baud: number; boxId: string | null };

const BAUDS = new Set([9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1500000]);

/**
 * Reads a target as the command line and the UI accept it: `ssh://[user@]host[:port]`,
 * `serial:PATH[?baud=115200]`, a box id / hostname / serial number / address from the inventory, or
 * (as ssh does) `[user@]host` for a host the inventory does not know yet.
 */
export function parseTarget(text: string, lookup: (name: string) => Box | undefined): Target {
  const t = text.trim();
  if (t.length === 0 || t.length > 500) throw new FieldlinkError('BAD_REQUEST', 'A target is a box name, ssh://[user@]host[:port] or serial:PATH.');
  if (t.startsWith('ssh://')) return parseSshUrl(t);
  if (t.startsWith('serial:')) return parseSerial(t);

  // A literal address is where to connect, never a name a box may claim (a box can call itself 10.0.0.5).
  const box = isIP(t.replace(/^\[|\]$/g, '')) ? undefined : lookup(t);
  if (box) return boxTarget(box);

  const m = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.exec(t);
  if (!m) throw new FieldlinkError('BAD_REQUEST', `"${t.slice(0, 80)}" is not a box in the inventory, nor ssh://host or serial:PATH.`);
  return { kind: 'ssh', user: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: undefined, boxId: null };
}

/**
 * The best way to reach a box: the LAN when it has an address (SSH is fast and says at once when the
 * address is dead), else its cable.
 */
export function boxTarget(box: Box): Target {
  if (box.addresses[0]) return { kind: 'ssh', host: box.addresses[0], port: undefined, user: undefined, boxId: box.id };
  if (box.consolePath) return { kind: 'serial', path: box.consolePath, baud: 115200, boxId: box.id };
  throw new FieldlinkError('LINK_DOWN', `${box.hostname} has no known address or cable. Run discovery, or plug in its USB-serial cable.`);
}

function parseSshUrl(t: string): Target {
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    throw new FieldlinkError('BAD_REQUEST', `"${t.slice(0, 80)}" is not a valid ssh:// address.`);
  }
  if (!url.hostname || url.pathname.replace(/^\/$/, '') !== '' || url.search || url.password) {
    throw new FieldlinkError('BAD_REQUEST', 'Write an SSH target as ssh://[user@]host[:port] (no password, no path).');
  }
  return {
    kind: 'ssh',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : undefined,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    boxId: null,
  };
}

/** udev's folder of stable names for USB-serial adapters. */
export const UDEV_BY_ID_DIR = '/dev/serial/by-id';

/**
 * Folders of stable by-id links that count as serial ports: udev's, and any named in
 * FIELDLINK_SERIAL_DIRS (absolute folders, separated like PATH). The edge-box lab and the tests
 * set it for their stand-ins (the lab's consoles live in /run/fieldlink-lab/serial/by-id); an
 * installed Fieldlink trusts udev's folder only. Read at each use, so a test can add a folder.
 */
export function serialByIdDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.FIELDLINK_SERIAL_DIRS ?? '')
    .split(nodePath.delimiter)
    .filter((d) => d.startsWith('/') && !d.includes('\0'))
    .map((d) => nodePath.posix.normalize(d).replace(/(.)\/+$/, '$1'));
  return [...new Set([UDEV_BY_ID_DIR, ...extra])];
}

const TTY_NAME = /^\/dev\/(?:tty[^/]+|cu\.[^/]+)$/;
const WINDOWS_PORT = /^(?:\\\\\.\\)?COM[1-9]\d{0,2}$/i;
/** What a serial path may resolve to: a terminal device node in /dev (a USB adapter, a UART, a pty). */
const TTY_DEVICE = /^\/dev\/(?:tty[^/]+|pts\/\d+|cu\.[^/]+)$/;

/**
 * Why `p` is not a serial port Fieldlink will open, or null. The one rule for every front door (the
 * CLI, the Console view, tests, a box's recorded console): /dev/tty* (and macOS /dev/cu.*), a link
 * directly inside a by-id folder (serialByIdDirs), or COMn on Windows. Written plainly: no `..`, no
 * relative paths. Where the path leads is checked when it is opened (serialDeviceProblem).
 */
export function serialPathProblem(p: string, opts: { platform?: NodeJS.Platform; byIdDirs?: string[] } = {}): string | null {
  const platform = opts.platform ?? process.platform;
  const shown = JSON.stringify(p.slice(0, 120));
  if (platform === 'win32') return WINDOWS_PORT.test(p) ? null : `${shown} is not a serial port: on Windows write COM3 (COM1 to COM999).`;
  const why = `${shown} is not a serial port Fieldlink opens: use a device like /dev/ttyUSB0, or a link in ${UDEV_BY_ID_DIR}/.`;
  if (p.length > 4096 || !p.startsWith('/') || p.includes('\0') || nodePath.posix.normalize(p) !== p || p.endsWith('/')) return why;
  if (TTY_NAME.test(p)) return null;
  const dir = nodePath.posix.dirname(p);
  if ((opts.byIdDirs ?? serialByIdDirs()).includes(dir)) return null;
  return why;
}

/**
 * Why the node a serial path resolved to (symlinks followed) is not one to open, or null: it must be
 * a character device named like a terminal in /dev, so a link cannot send Fieldlink to /etc/passwd,
 * /dev/mem or a disk.
 */
export function serialDeviceProblem(p: string, device: string, isCharacterDevice: boolean): string | null {
  if (TTY_DEVICE.test(device) && isCharacterDevice) return null;
  return `${JSON.stringify(p.slice(0, 120))} leads to ${JSON.stringify(device.slice(0, 120))}, which is not a serial device; Fieldlink opens only terminal devices in /dev.`;
}

function parseSerial(t: string): Target {
  const [path, query = ''] = t.slice('serial:'.length).split('?', 2);
  if (!path) throw new FieldlinkError('BAD_REQUEST', 'Write a serial target as serial:PATH, e.g. serial:/dev/ttyUSB0 or serial:COM3.');
  const problem = serialPathProblem(path);
  if (problem) throw new FieldlinkError('BAD_REQUEST', problem, { path: path.slice(0, 200) });
  const params = new URLSearchParams(query);
  for (const key of params.keys()) if (key !== 'baud') throw new FieldlinkError('BAD_REQUEST', `Unknown serial option "${key}"; only baud is supported.`);
  const baud = params.has('baud') ? Number(params.get('baud')) : 115200;
  if (!BAUDS.has(baud)) throw new FieldlinkError('BAD_REQUEST', `Unsupported baud rate ${params.get('baud')}; use one of ${[...BAUDS].join(', ')}.`);
  return { kind: 'serial', path, baud, boxId: null };
}
