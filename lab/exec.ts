import { spawn, type SpawnOptions } from 'node:child_process';
import { FieldlinkError } from '../shared/errors.ts';

export interface RunOptions {
  input?: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Tail kept of stdout and of stderr; lab tools print little, so 1 MiB is plenty. */
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve with the non-zero code instead of throwing. */
  allowFail?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one lab tool (ip, tc, socat…) and collects its output. Every call is bounded in time so a
 * wedged kernel call or a hung daemon cannot hang `up` or `down` forever.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const max = opts.maxOutputBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new FieldlinkError('ABORTED', `Cancelled before running ${cmd}.`));
      return;
    }
    const spawnOpts: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    const child = spawn(cmd, args as string[], spawnOpts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const keep = (list: Buffer[], chunk: Buffer, len: number): number => {
      list.push(chunk);
      len += chunk.length;
      while (len > max && list.length > 1) len -= list.shift()!.length;
      return len;
    };
    child.stdout!.on('data', (c: Buffer) => (outLen = keep(out, c, outLen)));
    child.stderr!.on('data', (c: Buffer) => (errLen = keep(err, c, errLen)));
    let why: FieldlinkError | null = null;
    const timer = setTimeout(() => {
      why = new FieldlinkError('TIMEOUT', `${cmd} ${args.join(' ')} took longer than ${timeoutMs} ms.`);
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = () => {
      why = new FieldlinkError('ABORTED', `Cancelled while running ${cmd}.`);
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new FieldlinkError('INTERNAL', `Cannot run ${cmd}: ${e.message}. Is it installed?`, { cmd }, { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (why) return reject(why);
      const res = { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (code !== 0 && !opts.allowFail) {
        return reject(
          new FieldlinkError('INTERNAL', `${cmd} ${args.join(' ')} failed (exit ${code}): ${res.stderr.trim().slice(-500)}`, {
            cmd,
            code,
          }),
        );
      }
      resolve(res);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** Runs `fn` over items with at most `limit` at once: 50 boxes on 2 cores want a little, not total, parallelism. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
