import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FieldlinkError, exitCodeFor } from '../shared/errors.ts';
import { VERSION, createApp, type App } from './core/app.ts';
import type { Command, CommandContext, OptionSpec } from './cli/command.ts';
import { commands } from './cli/commands/index.ts';
import { Output } from './cli/output.ts';

/**
 * `fieldlink`: the command line on the same core as the UI. Exit 0 on success, 1 on failure, 2 on
 * a usage problem; `exec` exits with the remote command's status, as ssh does.
 */
const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print one JSON document on stdout and nothing else' },
  'data-dir': { type: 'string', description: 'where Fieldlink keeps its data (env FIELDLINK_DATA_DIR)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', short: 'V', description: 'print the version' },
};

export async function main(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream; stdin?: NodeJS.ReadableStream } = {}): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  const at = commandIndex(argv);
  const name = at === -1 ? undefined : argv[at];
  const command = commands.find((c) => c.name === name);
  const wantsJson = argv.includes('--json');
  const out = new Output({ json: wantsJson, stdout: io.stdout, stderr });

  if (!command) {
    if (argv.includes('--version') || argv.includes('-V')) return print(io.stdout, `fieldlink ${VERSION}`);
    if (name === undefined || name === 'help' || argv.includes('--help') || argv.includes('-h')) {
      return print(name === undefined && !argv.includes('--help') && !argv.includes('-h') ? stderr : io.stdout, generalHelp(), name === undefined && argv.length === 0 ? 2 : 0);
    }
    out.error(new FieldlinkError('BAD_REQUEST', `Unknown command "${name}". Run \`fieldlink --help\` for the list.`));
    return 2;
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv.filter((_, i) => i !== at), options: optionConfig(command), allowPositionals: true, strict: true });
  } catch (err) {
    out.error(new FieldlinkError('BAD_REQUEST', `${usageProblem(err)} Run \`fieldlink ${command.name} --help\`.`));
    return 2;
  }
  if (parsed.values.help) return print(io.stdout, commandHelp(command));

  const abort = new AbortController();
  const onSigint = () => abort.abort(new FieldlinkError('ABORTED', 'Interrupted.'));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let app: App | undefined;
  const ctx: CommandContext = {
    args: parsed.positionals,
    options: parsed.values as CommandContext['options'],
    out,
    signal: abort.signal,
    stdin: io.stdin ?? process.stdin,
    app: () => (app ??= createApp({ host: 'cli', dataDir: parsed.values['data-dir'] as string | undefined })),
  };
  try {
    return await command.run(ctx);
  } catch (err) {
    return exitCodeFor(out.error(err).code);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await app?.close();
  }
}

/** Where the command name stands: the first word that is neither an option nor a global option's value. */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return -1;
    if (!a.startsWith('-')) return i;
    const g = GLOBAL_OPTIONS[a.slice(2)];
    if (g?.type === 'string' && !a.includes('=')) i++;
  }
  return -1;
}

/** parseArgs explains itself at length; a technician needs the one thing that was wrong. */
function usageProblem(err: unknown): string {
  const message = (err as Error).message;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `Unknown option ${unknown[1]}.`;
  const first = message.split(/(?<=\.)\s/)[0] ?? message;
  return first.endsWith('.') ? first : `${first}.`;
}

function optionConfig(command: Command): NonNullable<ParseArgsConfig['options']> {
  const all = { ...GLOBAL_OPTIONS, ...command.options };
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.short ? { type: v.type, short: v.short } : { type: v.type }]));
}

function generalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'fieldlink: find, provision, check and collect logs from edge boxes, offline.',
    '',
    'usage: fieldlink <command> [--json] [--data-dir DIR] [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'targets: a box id or hostname from the inventory, ssh://[user@]host[:port], or serial:PATH[?baud=115200]',
    "exit status: 0 success, 1 failure, 2 usage; exec exits with the remote command's status.",
    "Run `fieldlink <command> --help` for a command's options.",
  ].join('\n');
}

function commandHelp(c: Command): string {
  const opts = Object.entries({ ...c.options, ...GLOBAL_OPTIONS });
  const width = Math.max(...opts.map(([k]) => k.length));
  return [`usage: fieldlink ${c.name} ${c.usage}`.trimEnd(), '', c.summary, '', 'options:', ...opts.map(([k, v]) => `  --${k.padEnd(width)}  ${v.description}`)].join('\n');
}

function print(stream: NodeJS.WritableStream | undefined, text: string, code = 0): number {
  (stream ?? process.stdout).write(`${text}\n`);
  return code;
}
