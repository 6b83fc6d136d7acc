import { toApiError, type ApiError } from '../../shared/errors.ts';
import { safeLines, safeText } from '../../shared/text.ts';

/**
 * Everything the command line prints goes through here, so `--json` keeps its promise: one JSON
 * document on stdout and nothing else, progress and errors on stderr.
 */
export class Output {
  readonly json: boolean;
  readonly #out: NodeJS.WritableStream;
  readonly #err: NodeJS.WritableStream;

  constructor(opts: { json: boolean; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream }) {
    this.json = opts.json;
    this.#out = opts.stdout ?? process.stdout;
    this.#err = opts.stderr ?? process.stderr;
  }

  /** The command's answer: `data` as JSON, or the human rendering of it. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.#out.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human();
      if (text) this.#out.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** One update of a watching command in --json mode: a JSON document per line (NDJSON, as `kubectl get -w -o json` streams). */
  line(data: unknown): void {
    this.#out.write(`${JSON.stringify(data)}\n`);
  }

  /** One update of a watching command for a person: the screen redrawn on a terminal, else the text with a rule above it. */
  screen(text: string): void {
    const tty = (this.#out as NodeJS.WriteStream).isTTY === true;
    this.#out.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${'-'.repeat(72)}\n${text}\n`);
  }

  /** A progress line on stderr; never on stdout, whatever the mode. */
  progress(message: string): void {
    this.#err.write(`${safeLines(message)}\n`);
  }

  /** Reports a failure and returns the ApiError it printed. */
  error(err: unknown): ApiError {
    const e = toApiError(err);
    if (this.json) this.#out.write(`${JSON.stringify({ error: e }, null, 2)}\n`);
    else this.#err.write(`fieldlink: ${safeLines(e.message)}\n`);
    return e;
  }
}

/** Lays out rows as aligned columns; every cell is box-supplied text, so it is sanitised to one bounded line. */
export function table(header: string[], rows: string[][]): string {
  const clean = rows.map((r) => r.map((c) => safeText(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...clean.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...clean.map(line)].join('\n');
}
