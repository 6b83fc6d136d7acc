import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectorLogger, startCollector } from './server.ts';
import { loadTokens, TokenFileError } from './tokens.ts';

const USAGE = `fieldlink-collector [--port P] [--host 127.0.0.1] [--dir DIR] [--tokens FILE] [--max-size BYTES]

The receiving end of Fieldlink's log sync: tus uploads on /files, receipts on /receipts,
segments on /segments. Binds 127.0.0.1 unless --host says otherwise.
  --port      TCP port (default 1080; 0 picks a free one)
  --dir       where segments are kept (default ./fieldlink-collector)
  --tokens    technician tokens: JSON or lines "technician token [expires]", mode 0600
              (default $FIELDLINK_COLLECTOR_TOKENS)
Prints one JSON line {"url": …} on stdout once listening; logs (JSON) go to stderr.`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        dir: { type: 'string' },
        tokens: { type: 'string' },
        'max-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = Number(values.port ?? 1080);
  const maxSize = values['max-size'] === undefined ? undefined : Number(values['max-size']);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (maxSize !== undefined && !(Number.isInteger(maxSize) && maxSize > 0))) {
    process.stderr.write(`--port must be 0–65535 and --max-size a positive whole number of bytes.\n${USAGE}\n`);
    return 2;
  }
  const tokensFile = values.tokens ?? process.env.FIELDLINK_COLLECTOR_TOKENS;
  if (!tokensFile) {
    process.stderr.write(`--tokens FILE is required (or FIELDLINK_COLLECTOR_TOKENS).\n${USAGE}\n`);
    return 2;
  }
  const log = collectorLogger();
  let tokens;
  try {
    tokens = loadTokens(tokensFile);
  } catch (err) {
    if (err instanceof TokenFileError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const collector = await startCollector({ dir: path.resolve(values.dir ?? 'fieldlink-collector'), tokens, host: values.host ?? '127.0.0.1', port, maxSize, log });
  process.stdout.write(`${JSON.stringify({ url: collector.url, port: collector.port, pid: process.pid })}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void collector.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
