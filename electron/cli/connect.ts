import readline from 'node:readline';
import { FieldlinkError } from '../../shared/errors.ts';
import type { PasswordNeeded } from '../../shared/api.ts';
import type { ConnectOptions } from '../core/connections/index.ts';
import type { CommandContext, OptionSpec } from './command.ts';

/** The options every command that reaches a box takes, as OpenSSH users expect them. */
export const connectOptionSpecs: Record<string, OptionSpec> = {
  'accept-new': { type: 'boolean', description: "pin an unknown host key on first use (OpenSSH's StrictHostKeyChecking=accept-new); a changed key is always refused" },
  'password-stdin': { type: 'boolean', description: 'read the box password from the first line of standard input (never put it on the command line)' },
  remember: { type: 'boolean', description: "keep the password in this laptop's keychain once the box has accepted it, for the next connection (never before)" },
  timeout: { type: 'string', description: 'give up after this long, e.g. 30s, 2m (default: connect 20s, command 30m)' },
};

/** Reads `30s`, `2m`, `1500ms`, `1h` or plain seconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new FieldlinkError('BAD_REQUEST', `${what} must be a duration like 30s or 2m, not "${text}".`);
  const n = Number(m[1]);
  const ms = n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
  if (ms <= 0 || ms > 24 * 3_600_000) throw new FieldlinkError('BAD_REQUEST', `${what} must be between 1ms and 24h.`);
  return ms;
}

export async function connectOptions(ctx: CommandContext): Promise<ConnectOptions> {
  const fromStdin = Boolean(ctx.options['password-stdin']);
  return {
    mode: ctx.options['accept-new'] ? 'accept-new' : 'strict',
    password: fromStdin ? await readPasswordLine(ctx.stdin) : undefined,
    remember: Boolean(ctx.options.remember),
    // As ssh does: no key got in and a person is at the terminal, so ask them (never echoed).
    askPassword: fromStdin ? undefined : (p) => askPasswordOnTerminal(p, { stdin: ctx.stdin, stderr: process.stderr }),
    signal: ctx.signal,
    timeoutMs: typeof ctx.options.timeout === 'string' ? parseDuration(ctx.options.timeout, '--timeout') : undefined,
  };
}

/** The first line of stdin, without its newline; bounded, and an empty one is an error, not an empty password. */
async function readPasswordLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const rl = readline.createInterface({ input: stdin, terminal: false });
  try {
    for await (const line of rl) {
      if (line.length > 4096) break;
      if (line.length === 0) break;
      return line;
    }
  } finally {
    rl.close();
  }
  throw new FieldlinkError('BAD_REQUEST', '--password-stdin read no password (an empty first line, or nothing at all).');
}

/**
 * The box password from the technician's terminal, echo off; undefined without a terminal (scripts
 * never hang on it), on an empty line, or on Ctrl+C / Ctrl+D.
 */
export async function askPasswordOnTerminal(p: PasswordNeeded, io: { stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream }): Promise<string | undefined> {
  const input = io.stdin as NodeJS.ReadStream;
  if (!input.isTTY || typeof input.setRawMode !== 'function') return undefined;
  const where = p.via === 'serial' ? `the console ${p.target}` : p.target;
  if (p.wrong) io.stderr.write(p.remembered ? 'The password remembered on this laptop did not work.\n' : 'That password did not work. Check the label and try again.\n');
  io.stderr.write(`Password for ${p.user} on ${where} (on the box label): `);
  return new Promise((resolve) => {
    let typed = '';
    const finish = (value: string | undefined) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      io.stderr.write('\n');
      resolve(value ? value : undefined);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return finish(typed);
        if (ch === '\u0003' || ch === '\u0004') return finish(undefined);
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (typed.length < 1024) typed += ch;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

/** A yes/no question on the technician's terminal; false without a terminal (scripts never hang on it). */
export async function askOnTerminal(
  question: string,
  io: { stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream } = { stdin: process.stdin, stderr: process.stderr },
): Promise<boolean> {
  if (!(io.stdin as NodeJS.ReadStream).isTTY) return false;
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
