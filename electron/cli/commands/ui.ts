import type { Command } from '../command.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import { createApp } from '../../core/app.ts';
import { resolveDataDir } from '../../core/config/index.ts';
import { createLogger, logFileOf, logFilePath } from '../../core/log/index.ts';
import { ensureRendererBuilt } from '../../web/renderer-build.ts';

export const ui: Command = {
  name: 'ui',
  usage: '[--port P]',
  summary: 'serve the Fieldlink UI to a browser on 127.0.0.1',
  options: { port: { type: 'string', description: 'port on 127.0.0.1 (default: any free port)' } },
  async run({ out, options, signal }) {
    const port = options.port === undefined ? 0 : Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FieldlinkError('BAD_REQUEST', `--port must be a port number, not ${String(options.port)}.`);
    const { DEFAULT_RENDERER_DIR, startWebHost } = await import('../../web.ts');
    // In a source checkout the UI is built first when it is missing or stale, as `npm start` does.
    await ensureRendererBuilt({ outDir: DEFAULT_RENDERER_DIR, progress: (line) => out.progress(line), signal });
    signal.throwIfAborted();

    // A long-running host, like the app: its own core, logging to the rotating file in the data
    // folder rather than to this terminal.
    const dataDir = resolveDataDir(options['data-dir'] as string | undefined);
    const logger = createLogger({ file: logFilePath(dataDir) });
    const app = createApp({ host: 'browser', dataDir, logger });
    try {
      const host = await startWebHost({ app, port, rendererDir: DEFAULT_RENDERER_DIR });
      const log = logFileOf(logger) ?? 'standard error';
      out.result({ url: host.url, port: host.port, log }, () => `Fieldlink is running at ${host.url}\nOpen it in a browser on this machine. Press Ctrl-C to stop.\nLog: ${log}`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await host.close();
      return 0;
    } finally {
      await app.close();
    }
  },
};
