import { FieldlinkError } from '../../../shared/errors.ts';
import type { Box } from '../../../shared/model.ts';

/** Where a command should go, after the technician's words have been understood. */
export type Target =
  | { kind: 'ssh'; host: string; port: number | undefined; user: string | undefined; boxId: string | null }
  | { kind: 'serial'; path: string; baud: number; boxId: string | null };

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

  const box = lookup(t);
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

function parseSerial(t: string): Target {
  const [path, query = ''] = t.slice('serial:'.length).split('?', 2);
  if (!path) throw new FieldlinkError('BAD_REQUEST', 'Write a serial target as serial:PATH, e.g. serial:/dev/ttyUSB0 or serial:COM3.');
  const params = new URLSearchParams(query);
  for (const key of params.keys()) if (key !== 'baud') throw new FieldlinkError('BAD_REQUEST', `Unknown serial option "${key}"; only baud is supported.`);
  const baud = params.has('baud') ? Number(params.get('baud')) : 115200;
  if (!BAUDS.has(baud)) throw new FieldlinkError('BAD_REQUEST', `Unsupported baud rate ${params.get('baud')}; use one of ${[...BAUDS].join(', ')}.`);
  return { kind: 'serial', path, baud, boxId: null };
}
