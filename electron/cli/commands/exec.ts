import { FieldlinkError } from '../../../shared/errors.ts';
import type { Command } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';

const MAX_STDIN = 64 * 1024 * 1024;

export const exec: Command = {
  name: 'exec',
  usage: 'TARGET [--stdin] -- CMD…',
  summary: "run a command on a box; exits with the command's status, as ssh does",
  options: { ...connectOptionSpecs, stdin: { type: 'boolean', description: "send this command's standard input to the remote command" } },
  async run(ctx) {
    const [target, ...words] = ctx.args;
    if (!target || words.length === 0) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink exec TARGET -- CMD…');
    if (ctx.options.stdin && ctx.options['password-stdin'])
      throw new FieldlinkError('BAD_REQUEST', '--stdin and --password-stdin both want standard input; keep the password in the keychain, or use one.');
    const opts = await connectOptions(ctx);
    const stdin = ctx.options.stdin ? await readAll(ctx.stdin) : undefined;
    const shell = await ctx.app().connections.shell(target, opts);
    try {
      // Like ssh: the words after -- are one command line for the box's shell.
      const command = words.join(' ');
      const r = await shell.exec(command, {
        stdin,
        signal: ctx.signal,
        timeoutMs: opts.timeoutMs,
        // Without --json, output streams through as it comes, bytes untouched, as ssh passes it.
        onStdout: ctx.out.json ? undefined : (b) => process.stdout.write(b),
        onStderr: ctx.out.json ? undefined : (b) => process.stderr.write(b),
      });
      if (ctx.out.json) {
        ctx.out.result(
          {
            target: shell.target,
            code: r.code,
            signal: r.signal,
            stdout: Buffer.from(r.stdout).toString('utf8'),
            stderr: Buffer.from(r.stderr).toString('utf8'),
            truncated: r.truncated,
          },
          () => '',
        );
      }
      // ssh's convention: a command killed by a signal exits 255.
      return r.code ?? 255;
    } finally {
      await shell.close();
    }
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN) throw new FieldlinkError('BAD_REQUEST', 'Standard input is over 64 MiB; copy the file with `fieldlink put` instead.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
