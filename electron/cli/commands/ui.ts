import type { Command } from '../command.ts';
import { FieldlinkError } from '../../../shared/errors.ts';

export const ui: Command = {
  name: 'ui',
  usage: '[--port P]',
  summary: 'serve the Fieldlink UI to a browser on 127.0.0.1',
  options: { port: { type: 'string', description: 'port on 127.0.0.1 (default: any free port)' } },
  async run({ app, out, options, signal }) {
    const port = options.port === undefined ? 0 : Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FieldlinkError('BAD_REQUEST', `--port must be a port number, not ${String(options.port)}.`);
    const { startWebHost } = await import('../../web.ts');
    const host = await startWebHost({ app: app(), port });
    out.result({ url: host.url, port: host.port }, () => `Fieldlink is running at ${host.url}\nOpen it in a browser on this machine. Press Ctrl-C to stop.`);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await host.close();
    return 0;
  },
};
