import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's lab/ folder, where the box files and the daemon live. */
export const LAB_SRC = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.dirname(LAB_SRC);
/** Node 24 from the project: the system node is older and must not run lab code. */
export const NODE_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');

export function labDir(): string {
  return process.env.FIELDLINK_LAB_DIR || '/run/fieldlink-lab';
}

/**
 * `env` plus the lab's by-id folder in FIELDLINK_SERIAL_DIRS: Fieldlink opens serial ports only in
 * /dev and in folders named there, so whatever drives the app or the CLI against the lab's consoles
 * (lab tech, the demo, the lab suites, the serial bench) passes this on.
 */
export function labSerialEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const byId = path.join(labDir(), 'serial', 'by-id');
  const dirs = (env.FIELDLINK_SERIAL_DIRS ?? '').split(path.delimiter).filter(Boolean);
  return { ...env, FIELDLINK_SERIAL_DIRS: [...dirs.filter((d) => d !== byId), byId].join(path.delimiter) };
}

/*
 * Addresses live only inside the lab's namespaces; the root namespace gets no interface and no
 * route into them (network safety rule). Subnets chosen to be unlikely on a real site or laptop.
 */
export const NS = {
  lan: 'fl-lan',
  tech: 'fl-tech',
  cloud: 'fl-cloud',
  box: (n: number) => `fl-box-${pad2(n)}`,
} as const;
export const NS_PREFIX = 'fl-';
export const BRIDGE = 'fl-lan';
export const LAN_PREFIX = '10.77.0';
export const LAN_CIDR = `${LAN_PREFIX}.0/24`;
export const TECH_IP = `${LAN_PREFIX}.2`;
export const UPLINK_TECH_IP = '10.78.0.1';
export const COLLECTOR_IP = '10.78.0.2';
export const COLLECTOR_PORT = 1080;
/** Boxes from .11 up; 243 addresses left is far beyond the 50-box target. */
export const MAX_BOXES = 200;
export const boxIp = (n: number) => `${LAN_PREFIX}.${10 + n}`;
export const boxName = (n: number) => `box-${pad2(n)}`;
export const boxIndex = (name: string): number | null => {
  const m = /^box-(\d{2,3})$/.exec(name);
  return m ? Number(m[1]) : null;
};

export const DEFAULT_BAUD = 115200;
/** Mean seconds between kernel-style console messages; 0 turns them off. */
export const DEFAULT_CONSOLE_NOISE_S = 20;
export const K3S_VERSION = 'v1.30.6+k3s1';
export const SCENARIOS = ['healthy', 'crashloop', 'oom', 'imagepull', 'diskpressure', 'mixed', 'pods-500', 'pods-5000'] as const;

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export const paths = {
  state: () => path.join(labDir(), 'lab.json'),
  lock: () => path.join(labDir(), '.lock'),
  boxes: () => path.join(labDir(), 'boxes'),
  box: (name: string) => path.join(labDir(), 'boxes', name),
  byId: () => path.join(labDir(), 'serial', 'by-id'),
  consoleLink: (serial: string) => path.join(labDir(), 'serial', 'by-id', `usb-FTDI_FT232R_USB_UART_${serial}-if00-port0`),
  labdPid: () => path.join(labDir(), 'labd.pid'),
  labdSock: () => path.join(labDir(), 'labd.sock'),
  labdLog: () => path.join(labDir(), 'labd.log'),
  hubPid: () => path.join(labDir(), 'kube-hub.pid'),
  hubLog: () => path.join(labDir(), 'kube-hub.log'),
  artifacts: () => path.join(labDir(), 'artifacts'),
};
