import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Logger } from '../log/index.ts';
import type { Shell } from '../transport/index.ts';

/** A Shell that can open a TCP channel from the box (the pooled SSH shell can; the serial one cannot). */
export interface Forwarding {
  forwardOut(host: string, port: number): Promise<Duplex>;
}

export function canForward(shell: Shell): shell is Shell & Forwarding {
  return shell.kind === 'ssh' && typeof (shell as Partial<Forwarding>).forwardOut === 'function';
}

export interface Tunnel {
  /** The local end: always 127.0.0.1. */
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Connections open through it now. */
  readonly open: number;
  close(): Promise<void>;
}

export interface TunnelOptions {
  /** Local port; 0 (default) lets the system pick a free one. */
  localPort?: number;
  log?: Logger;
  /**
   * While connections are open, touch the SSH connection this often so the pool's idle sweep never
   * closes it under a long watch (kubectl get -w, k9s). Default 60 s; 0 turns it off.
   */
  keepAliveMs?: number;
  /** Channels to `remote` opened ahead (while the kubeconfig was read): the first connections use them. */
  spares?: Promise<Duplex>[];
}

/**
 * A local port on 127.0.0.1 whose every connection is a channel from the box to `host:port` over the
 * box's pooled SSH connection (ssh2 forwardOut): the box's API port is never opened on the LAN, and
 * nothing listens beyond loopback. The bytes pass through untouched: TLS runs end to end between the
 * client (client-node, kubectl) and the box's API server.
 */
export async function openTunnel(shell: Shell & Forwarding, remote: { host: string; port: number }, opts: TunnelOptions = {}): Promise<Tunnel> {
  const sockets = new Set<net.Socket>();
  let closed = false;
  const spares = [...(opts.spares ?? [])];
  // A spare that failed (the link dropped meanwhile) falls back to a fresh channel.
  const channel = () => {
    const spare = spares.shift();
    return spare ? spare.catch(() => shell.forwardOut(remote.host, remote.port)) : shell.forwardOut(remote.host, remote.port);
  };
  // Half-open kept: a client that ends its side still gets the rest of the answer, as with ssh -L.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.pause();
    channel().then(
      (ch) => {
        if (closed || sock.destroyed) {
          ch.destroy();
          return;
        }
        ch.on('error', () => sock.destroy());
        sock.on('close', () => ch.destroy());
        ch.on('close', () => sock.destroy());
        sock.pipe(ch);
        ch.pipe(sock);
        sock.resume();
      },
      (err: unknown) => {
        opts.log?.info({ target: shell.target, err: (err as Error)?.message }, 'tunnel channel refused');
        sock.destroy();
      },
    );
  });
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new FieldlinkError('CONFLICT', `Could not listen on 127.0.0.1:${opts.localPort ?? 0} for the tunnel: ${err.message}. Pick another port.`, undefined, { cause: err })),
    );
    server.listen({ host: '127.0.0.1', port: opts.localPort ?? 0, exclusive: true }, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  const every = opts.keepAliveMs ?? 60_000;
  const keepAlive =
    every > 0
      ? setInterval(() => {
          if (sockets.size > 0) void shell.exec(':', { timeoutMs: 20_000, maxOutputBytes: 1024 }).catch(() => undefined);
        }, every)
      : null;
  keepAlive?.unref();
  return {
    host: '127.0.0.1',
    port,
    get open() {
      return sockets.size;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (keepAlive) clearInterval(keepAlive);
      for (const s of sockets) s.destroy();
      for (const s of spares.splice(0))
        void s.then(
          (ch) => ch.destroy(),
          () => undefined,
        );
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
