import { FieldlinkError } from '../../../shared/errors.ts';
import { safeText } from '../../../shared/text.ts';
import type { Shell } from '../transport/index.ts';
import { LineSplitter } from './lines.ts';

/** Single-quotes a word for the box's sh. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Most bytes one command may send back: the box cuts its own output (`head -c`) at this. */
export const CHUNK_BYTES = 4 * 1024 * 1024;

export interface ReadOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Line cap for the splitter (default 64 KiB). */
  maxLine?: number;
}

export interface ReadResult {
  lines: { text: string; cut: boolean; bytes: number }[];
  /** Output bytes received (≤ CHUNK_BYTES when the command bounds itself). */
  received: number;
  /** Bytes at the end that did not make a whole line (not in `lines`). */
  partial: number;
  stderr: string;
  code: number | null;
}

/**
 * Runs a command that prints log text and returns its whole lines. The command bounds its own
 * output (CHUNK_BYTES), so at most one chunk of lines is held; stdout is not kept twice (the shell's
 * own buffer is held to 4 KiB). A last line without a newline is left out and counted in `partial`,
 * for the caller to read again next time.
 */
export async function readLines(shell: Shell, command: string, opts: ReadOptions = {}): Promise<ReadResult> {
  const lines: ReadResult['lines'] = [];
  const splitter = new LineSplitter((text, cut, bytes) => lines.push({ text, cut, bytes }), opts.maxLine);
  let received = 0;
  const r = await shell.exec(command, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 5 * 60_000,
    maxOutputBytes: 4096,
    onStdout: (c) => {
      received += c.byteLength;
      splitter.push(c);
    },
  });
  return { lines, received, partial: splitter.pendingBytes, stderr: Buffer.from(r.stderr).toString('utf8'), code: r.code };
}

/** A failed box command as an error a technician can act on (box text sanitised and bounded). */
export function remoteFailed(what: string, target: string, stderr: string): FieldlinkError {
  const said = safeText(stderr.trim().split('\n').slice(-3).join(' / '), 300);
  return new FieldlinkError('REMOTE_FAILED', `${what} failed on ${target}${said ? `: ${said}` : ''}. Check the box, then collect again.`, { target });
}
