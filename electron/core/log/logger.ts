import { pino, type Logger } from 'pino';

/**
 * Field names that may hold a secret anywhere in a log record. Redaction happens here, once, at the
 * logger, so no call site has to remember it.
 */
export const SECRET_KEYS = ['password', 'passphrase', 'token', 'secret', 'privateKey', 'authorization', 'cookie', 'joinToken', 'collectorToken'];

const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`]);

export type { Logger };

/** The core's structured logger. `destination` defaults to stderr so `--json` stdout stays clean. */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream | number } = {}): Logger {
  const dest = opts.destination ?? 2;
  return pino(
    { level: opts.level ?? process.env.FIELDLINK_LOG ?? 'warn', redact: { paths: redactPaths, censor: '[redacted]' }, base: undefined },
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: true }) : dest,
  );
}
