import type { App } from '../core/app.ts';
import type { Output } from './output.ts';

/** What every command gets: the parsed arguments, the output, and the core (opened on first use). */
export interface CommandContext {
  /** Positional arguments after the command name (and after `--` for exec). */
  args: string[];
  /** Options parsed for this command, by name. */
  options: Record<string, string | boolean | undefined>;
  out: Output;
  /** Opens the core on first call: commands that never touch the store never create it. */
  app(): App;
  /** Aborted on Ctrl-C; pass it to everything slow. */
  signal: AbortSignal;
  /** Standard input, for --password-stdin and the like. */
  stdin: NodeJS.ReadableStream;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: false;
  description: string;
}

export interface Command {
  name: string;
  /** The synopsis after `fieldlink NAME`. */
  usage: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  /** Exit status: 0 success, 1 failure, 2 usage; `exec` passes the remote status through. */
  run(ctx: CommandContext): Promise<number>;
}
