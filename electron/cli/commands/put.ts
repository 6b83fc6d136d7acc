import fs from 'node:fs';
import { FieldlinkError } from '../../../shared/errors.ts';
import type { Command } from '../command.ts';
import { connectOptionSpecs, connectOptions } from '../connect.ts';

const MAX_PUT = 1024 ** 3;

export const put: Command = {
  name: 'put',
  usage: 'TARGET LOCAL REMOTE',
  summary: 'copy a file to a box (atomic, sha256-checked on the box)',
  options: { ...connectOptionSpecs, mode: { type: 'string', description: "the remote file's mode in octal (default: the local file's)" } },
  async run(ctx) {
    const [target, local, remote, ...extra] = ctx.args;
    if (!target || !local || !remote || extra.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink put TARGET LOCAL REMOTE');
    let stat: fs.Stats;
    try {
      stat = fs.statSync(local);
    } catch {
      throw new FieldlinkError('NOT_FOUND', `There is no file ${local} on this laptop.`);
    }
    if (!stat.isFile()) throw new FieldlinkError('BAD_REQUEST', `${local} is not a regular file.`);
    if (stat.size > MAX_PUT) throw new FieldlinkError('BAD_REQUEST', `${local} is over 1 GiB; Fieldlink copies files up to 1 GiB.`);
    const mode = typeof ctx.options.mode === 'string' ? parseMode(ctx.options.mode) : stat.mode & 0o777;
    const data = fs.readFileSync(local);
    const opts = await connectOptions(ctx);
    const shell = await ctx.app().connections.shell(target, opts);
    const started = Date.now();
    let lastShown = 0;
    try {
      await shell.put(remote, data, mode, {
        signal: ctx.signal,
        timeoutMs: opts.timeoutMs,
        onProgress: (done, total) => {
          // Progress on stderr at most twice a second, so a slow serial line shows it is moving.
          if (Date.now() - lastShown < 500 && done < total) return;
          lastShown = Date.now();
          ctx.out.progress(`${remote}: ${Math.floor((100 * done) / Math.max(1, total))}% (${done} of ${total} bytes)`);
        },
      });
    } finally {
      await shell.close();
    }
    const seconds = (Date.now() - started) / 1000;
    ctx.out.result(
      { target: shell.target, remote, bytes: data.length, mode: `0${mode.toString(8)}`, seconds },
      () => `${local} → ${shell.target}:${remote} (${data.length} bytes, sha256 checked on the box, ${seconds.toFixed(1)} s)`,
    );
    return 0;
  },
};

function parseMode(text: string): number {
  if (!/^0?[0-7]{3,4}$/.test(text)) throw new FieldlinkError('BAD_REQUEST', `--mode must be octal like 0644, not ${text}.`);
  return parseInt(text, 8);
}
