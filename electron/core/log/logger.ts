import path from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { RotatingFile, type RotatingFileOptions } from './file.ts';

/**
 * Field names that may hold a secret anywhere in a log record. Redaction happens here, once, at the
 * logger, so no call site has to remember it.
 */
export const SECRET_KEYS = ['password', 'passphrase', 'token', 'secret', 'privateKey', 'authorization', 'cookie', 'joinToken', 'collectorToken'];

const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`]);

export type { Logger };

/** Where the app and the browser host keep their log: <dataDir>/logs/fieldlink.log (rotated beside it). */
export function logFilePath(dataDir: string): string {
  return path.join(dataDir, 'logs', 'fieldlink.log');
}

export interface LoggerOptions {
  /** pino level; default FIELDLINK_LOG, else 'info' into a file and 'warn' onto stderr. */
  level?: string;
  /** A stream or file descriptor; default stderr (fd 2) so `--json` stdout stays clean. */
  destination?: NodeJS.WritableStream | number;
  /**
   * A rotating log file instead (the Electron app, the browser host). If it cannot be opened the
   * logger falls back to stderr and says so there, rather than keep the app from starting.
   */
  file?: string | RotatingFileOptions;
}

/** The core's structured logger: stderr for the command line, a rotating file for the app. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  let dest: DestinationStream | NodeJS.WritableStream | number = opts.destination ?? 2;
  let fileError: unknown;
  if (opts.file !== undefined) {
    try {
      dest = new RotatingFile(typeof opts.file === 'string' ? { file: opts.file } : opts.file);
    } catch (err) {
      fileError = err;
    }
  }
  const logger = pino(
    {
      level: opts.level ?? process.env.FIELDLINK_LOG ?? (dest instanceof RotatingFile ? 'info' : 'warn'),
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: undefined,
    },
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: true }) : dest,
  );
  if (fileError !== undefined) logger.warn({ err: fileError }, 'log file cannot be opened; logging to stderr instead');
  return logger;
}

/** The file a logger (or any child of it) writes to, or undefined when it writes to a stream. */
export function logFileOf(log: Logger): string | undefined {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  return stream instanceof RotatingFile ? stream.file : undefined;
}

/**
 * The sentence for messages whose details went to the log: it names the real file, so the
 * technician (or the person they phone) knows what to open or attach.
 */
export function detailsInLog(log: Logger): string {
  const file = logFileOf(log);
  return file ? `The details are in the log, ${file}.` : 'The details are in the log (standard error).';
}
