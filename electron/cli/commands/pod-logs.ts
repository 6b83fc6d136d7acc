import { FieldlinkError } from '../../../shared/errors.ts';
import { safeLines } from '../../../shared/text.ts';
import { ApiSession, canForward, keptCredentials, loadClientNode, podLogs } from '../../core/health/index.ts';
import type { CommandContext, OptionSpec } from '../command.ts';
import { connectOptions } from '../connect.ts';

/** The options `fieldlink logs pod` adds to `fieldlink logs`. */
export const podLogOptionSpecs: Record<string, OptionSpec> = {
  follow: { type: 'boolean', short: 'f', description: 'pod: keep printing new lines until Ctrl-C or the container ends' },
  previous: { type: 'boolean', description: 'pod: the container instance that ended last (what a crash-looping pod said before it died)' },
  container: { type: 'string', short: 'c', description: 'pod: which container, when the pod has several' },
  tail: { type: 'string', description: 'pod: only the last N lines (default: all; with --follow, 10)' },
};

/**
 * `fieldlink logs pod TARGET NS/POD [-f] [--previous] [-c CONTAINER] [--tail N]`: a pod's log through
 * the box's API over the SSH tunnel, as `kubectl logs` prints it, each line's escapes removed
 * (a log line cannot move the terminal's cursor or retitle it).
 */
export async function podLogCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const [target, ref, ...extra] = args;
  const m = ref ? /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(ref) : null;
  if (!target || !m || extra.length) throw new FieldlinkError('BAD_REQUEST', 'Usage: fieldlink logs pod TARGET NAMESPACE/POD [-f] [--previous] [-c CONTAINER] [--tail N]');
  const tailText = ctx.options.tail;
  const tail = typeof tailText === 'string' ? Number(tailText) : ctx.options.follow ? 10 : undefined;
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 1 || tail > 1_000_000))
    throw new FieldlinkError('BAD_REQUEST', `--tail must be a number of lines, not "${String(tailText)}".`);
  const opts = await connectOptions(ctx);
  const { connections, secrets, log } = ctx.app();
  ctx.out.progress(`connecting to ${target}`);
  setImmediate(() => void loadClientNode().catch(() => undefined));
  const shell = await connections.shell(target, opts);
  try {
    if (!canForward(shell))
      throw new FieldlinkError('BAD_REQUEST', "Pod logs come through the box's API, over SSH: over the serial console run `k3s kubectl logs` in `fieldlink exec`.");
    const session = await ApiSession.open(shell, { signal: ctx.signal, log, credentials: keptCredentials(secrets, shell.target, log) });
    try {
      let partial = '';
      await podLogs(session, {
        namespace: m[1]!,
        pod: m[3]!,
        container: typeof ctx.options.container === 'string' ? ctx.options.container : undefined,
        previous: Boolean(ctx.options.previous),
        follow: Boolean(ctx.options.follow),
        tailLines: tail,
        signal: ctx.signal,
        onText: (chunk) => {
          // Whole lines only, so a line cut across chunks is cleaned as one.
          const text = partial + chunk;
          const cut = text.lastIndexOf('\n');
          partial = text.slice(cut + 1);
          if (cut >= 0) process.stdout.write(`${safeLines(text.slice(0, cut), Number.MAX_SAFE_INTEGER)}\n`);
        },
      });
      if (partial) process.stdout.write(`${safeLines(partial, Number.MAX_SAFE_INTEGER)}\n`);
    } finally {
      await session.close();
    }
    return 0;
  } finally {
    await shell.close();
  }
}
