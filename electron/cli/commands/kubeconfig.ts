import fs from 'node:fs';
import path from 'node:path';
import { FieldlinkError } from '../../../shared/errors.ts';
import { ApiSession, canForward, loadClientNode, tunnelKubeconfig } from '../../core/health/index.ts';
import type { Command } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';

export const kubeconfig: Command = {
  name: 'kubeconfig',
  usage: 'TARGET [--write FILE] [--port P]',
  summary: 'a kubeconfig that reaches the box through the tunnel (kept open until Ctrl-C)',
  options: {
    ...connectOptionSpecs,
    write: { type: 'string', description: 'write the kubeconfig to FILE (mode 0600) instead of printing it' },
    port: { type: 'string', description: 'the local port on 127.0.0.1 (default: a free one)' },
  },
  async run(ctx) {
    const [target, ...extra] = ctx.args;
    if (!target || extra.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink kubeconfig TARGET [--write FILE] [--port P]');
    const port = typeof ctx.options.port === 'string' ? Number(ctx.options.port) : 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FieldlinkError('BAD_REQUEST', '--port must be a port number (1-65535).');
    // Refused before anything is opened: a console cannot carry a tunnel.
    if (ctx.app().connections.resolve(target).kind === 'serial') throw notOverSerial();
    const opts = await connectOptions(ctx);
    loadClientNode().catch(() => undefined);
    const shell = await ctx.app().connections.shell(target, opts);
    if (!canForward(shell)) {
      await shell.close();
      throw notOverSerial();
    }
    const session = await ApiSession.open(shell, {
      signal: ctx.signal,
      timeoutMs: opts.timeoutMs,
      localPort: port || undefined,
      progress: (m) => ctx.out.progress(m),
      log: ctx.app().log,
    });
    try {
      const yaml = tunnelKubeconfig(session.kubeconfig, session.tunnel.port, target);
      const file = typeof ctx.options.write === 'string' ? path.resolve(ctx.options.write) : null;
      if (file) {
        // The file holds the box's admin key: private from the first byte, replaced atomically.
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, yaml, { mode: 0o600, flag: 'wx' });
        fs.renameSync(tmp, file);
      }
      if (ctx.out.json) ctx.out.result({ target, server: session.server, tlsServerName: session.kubeconfig.serverName, file, kubeconfig: file ? undefined : yaml }, () => '');
      else if (!file) process.stdout.write(yaml);
      ctx.out.progress(
        `Tunnel open: ${session.server} -> ${session.kubeconfig.host}:${session.kubeconfig.port} on ${shell.target} (TLS checked as ${session.kubeconfig.serverName}).`,
      );
      ctx.out.progress(file ? `Wrote ${file}. Use it with: KUBECONFIG=${file} kubectl get pods -A` : 'Save the kubeconfig above and point KUBECONFIG at it.');
      ctx.out.progress('Press Ctrl-C to close the tunnel.');
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      ctx.out.progress('Closing the tunnel.');
      return 0;
    } finally {
      await session.close();
      await shell.close();
    }
  },
};

function notOverSerial(): FieldlinkError {
  return new FieldlinkError(
    'BAD_REQUEST',
    'A kubeconfig needs a network tunnel: use the box over SSH (its id, hostname or ssh://), not the serial console. Over the cable, `fieldlink health serial:…` still works.',
  );
}
