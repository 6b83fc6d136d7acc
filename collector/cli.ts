import path from 'node:path';
import { parseArgs } from 'node:util';
import { MetadataError } from './metadata.ts';
import { parseS3Option, type S3Options } from './s3.ts';
import { collectorLogger, startCollector } from './server.ts';
import { loadTokens, TokenFileError } from './tokens.ts';

const USAGE = `fieldlink-collector [--port P] [--host 127.0.0.1] [--dir DIR] [--tokens FILE] [--max-size BYTES]
                    [--s3 endpoint=URL,bucket=NAME,region=R --redis redis://HOST:PORT]

The receiving end of Fieldlink's log sync: tus uploads on /files, receipts on /receipts,
segments on /segments. Binds 127.0.0.1 unless --host says otherwise.
  --port      TCP port (default 1080; 0 picks a free one)
  --dir       where segments are kept (default ./fieldlink-collector)
  --tokens    technician tokens: JSON or lines "technician token [expires]", mode 0600
              (default $FIELDLINK_COLLECTOR_TOKENS)
  --s3        keep segments in an S3 bucket shared by several instances (then DIR holds only a
              local index); also path-style=true|false, part-size=BYTES. Credentials from
              AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never on the command line
  --redis     Redis URL for the instances' shared locks and receipt numbers (needed with --s3)
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
        s3: { type: 'string' },
        redis: { type: 'string' },
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
  let s3: S3Options | undefined;
  try {
    s3 = values.s3 === undefined ? undefined : parseS3Option(values.s3);
  } catch (err) {
    if (!(err instanceof MetadataError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (s3 && !values.redis) {
    process.stderr.write(`--s3 needs --redis URL: instances sharing a bucket share their locks there.\n${USAGE}\n`);
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
  let collector;
  try {
    collector = await startCollector({
      dir: path.resolve(values.dir ?? 'fieldlink-collector'),
      tokens,
      host: values.host ?? '127.0.0.1',
      port,
      maxSize,
      log,
      s3,
      redis: values.redis,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
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
