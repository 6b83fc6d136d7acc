import fs from 'node:fs/promises';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FieldlinkError } from '../../../shared/errors.ts';
import { boxPaths } from '../../../lab/kube/box-files.ts';
import type { Shell } from '../transport/index.ts';
import type { Forwarding } from './tunnel.ts';

/**
 * Test stand-ins for the health tests: the pooled SSH shell as far as health uses it. forwardOut
 * dials a local stream (the lab hub's API socket, or a test server on 127.0.0.1), exec answers the
 * kubeconfig read. cut() acts as a pulled LAN cable: open channels go silent, nobody is told, and
 * new channels and commands fail after a while with no route.
 */

export interface FakeBox extends Shell, Forwarding {
  cut(): void;
  restore(): void;
}

/** What a new connection over a pulled cable meets after a while: no route to the box. */
const unreachable = () => new Promise<never>((_, reject) => setTimeout(() => reject(new FieldlinkError('LINK_DOWN', 'No route to the box.')), 300));

export function fakeShell(dial: () => Duplex, kubeconfig: () => Promise<string>, target = 'root@box:22'): FakeBox {
  let down = false;
  const open = new Set<Duplex>();
  const enc = (s: string) => new TextEncoder().encode(s);
  return {
    kind: 'ssh',
    target,
    forwardOut: () => {
      if (down) return unreachable();
      return new Promise((resolve, reject) => {
        const s = dial();
        open.add(s);
        s.on('close', () => open.delete(s));
        s.once('connect', () => resolve(s));
        s.once('secureConnect', () => resolve(s));
        s.once('error', reject);
      });
    },
    exec: async (cmd: string) => {
      if (down) return unreachable();
      const out = cmd.includes('k3s.yaml') ? `${BigInt(Date.now()) * 1_000_000n}\n${await kubeconfig()}` : '';
      return { code: 0, signal: null, stdout: enc(out), stderr: new Uint8Array(), truncated: false };
    },
    put: async () => undefined,
    get: async () => new Uint8Array(),
    close: async () => undefined,
    cut: () => {
      down = true;
      // A dead link says nothing: the channels stop carrying bytes, nobody is told.
      for (const s of open) s.pause();
    },
    restore: () => {
      down = false;
      for (const s of open) s.destroy();
    },
  };
}

/** A shell onto a lab hub box's API (its unix socket) and kubeconfig. */
export const hubShell = (dir: string) =>
  fakeShell(
    () => net.connect({ path: boxPaths(dir).socket }),
    () => fs.readFile(boxPaths(dir).kubeconfig, 'utf8'),
  );
