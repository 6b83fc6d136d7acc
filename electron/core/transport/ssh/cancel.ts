import { FieldlinkError } from '../../../../shared/errors.ts';

/** One signal for "the caller gave up or the time ran out", and the typed error that says which. */
export interface Deadline {
  signal: AbortSignal;
  error(what: string): FieldlinkError;
  dispose(): void;
}

export function deadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): Deadline {
  const ctl = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          ctl.abort(new FieldlinkError('TIMEOUT', 'timeout'));
        }, timeoutMs)
      : undefined;
  timer?.unref?.();
  const onAbort = () => ctl.abort(signal?.reason);
  if (signal?.aborted) ctl.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    error(what) {
      return timedOut
        ? new FieldlinkError('TIMEOUT', `${what} did not finish within ${Math.round((timeoutMs ?? 0) / 100) / 10} s and was stopped.`, { timeoutMs })
        : new FieldlinkError('ABORTED', `${what} was cancelled.`);
    },
    dispose() {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** POSIX shell single-quoting: the only safe way to put a path or a word into a remote command line. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
