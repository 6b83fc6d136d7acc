import { Worker } from 'node:worker_threads';
import { FieldlinkError } from '../../../shared/errors.ts';
import { RULES, type Rule } from './redact-rules.ts';

/**
 * Redaction of log text before it can leave the laptop. A Redactor is fed a stream of lines (or
 * chunks, split here) from one source and keeps the state that spans lines: an open PEM block (its
 * body lines are masked until the END line, even across chunk boundaries) and a Kubernetes Secret's
 * `data:` block. Every mask is `[REDACTED:<kind>]` and counted per kind, so a segment records what
 * was taken out of it.
 *
 * Speed: almost every log line holds no secret. One combined scan for the rules' hint words decides
 * whether any rule runs on a line at all, so an ordinary line costs two regex scans, not fifty.
 */

export interface ExtraPattern {
  kind: string;
  re: RegExp;
}

export interface RedactorOptions {
  /** Patterns from Settings, already checked by compilePatterns(). */
  extra?: readonly ExtraPattern[];
  /** Longest line scanned as one (longer lines are scanned in pieces of this size); default 64 KiB. */
  maxLine?: number;
}

export const MAX_LINE = 64 * 1024;
/** A PEM body longer than this many lines is not a key (an 8192-bit RSA key is ~100): stop masking. */
const MAX_BLOCK_LINES = 1000;

const mask = (kind: string) => `[REDACTED:${kind}]`;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const HINTS = new RegExp([...new Set(RULES.flatMap((r) => r.hints))].map(escapeRe).join('|'), 'i');
const NO_HINT_RULES = RULES.filter((r) => r.hints.length === 0);
/** A cheap gate for the hint-less card rule: four digits in a row somewhere. */
const DIGITS4 = /\d{4}/;

const PEM_BEGIN = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?|CERTIFICATE)-----/;
const PEM_END = /-----END [A-Z0-9 ]+-----/;
const PEM_BODY = /^(.*?)((?:[A-Za-z0-9+/]{16,}={0,2}|=[A-Za-z0-9+/]{4}|(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):.*))\s*$/;
const PEM_KIND: Record<string, string> = {
  'PRIVATE KEY': 'pem-private-key',
  'RSA PRIVATE KEY': 'pem-rsa-private-key',
  'EC PRIVATE KEY': 'pem-ec-private-key',
  'DSA PRIVATE KEY': 'pem-dsa-private-key',
  'OPENSSH PRIVATE KEY': 'pem-openssh-private-key',
  'ENCRYPTED PRIVATE KEY': 'pem-encrypted-private-key',
  'PGP PRIVATE KEY BLOCK': 'pgp-private-key-block',
  CERTIFICATE: 'pem-certificate',
};

// Kubernetes Secret data as kubectl prints it: YAML `data:` / `stringData:` blocks, pretty JSON `"data": {`.
const DATA_OPEN = /^(\s*)(?:(data|stringData):|"(data|stringData)":\s*\{)\s*$/;
const YAML_ENTRY = /^(\s+[\w.-]+:\s*)(\S.*?)\s*$/;
const JSON_ENTRY = /^(\s*"[^"]+":\s*")([^"]*)(".*)$/;
const B64_VALUE = /^[A-Za-z0-9+/]{4,}={0,2}$/;
const ONE_LINE_SECRET = /"kind":\s*"Secret"/;
const ONE_LINE_DATA = /("(?:data|stringData)":\s*\{)([^}]*)(\})/g;
const ONE_LINE_VALUE = /("[^"]*":\s*")([^"]*)(")/g;

type Block = { type: 'pem'; kind: string; lines: number } | { type: 'data'; indent: number; json: boolean; plain: boolean };

export class Redactor {
  readonly #extra: readonly ExtraPattern[];
  readonly #maxLine: number;
  #counts: Record<string, number> = {};
  #block: Block | null = null;
  #partial = '';

  constructor(opts: RedactorOptions = {}) {
    this.#extra = opts.extra ?? [];
    this.#maxLine = Math.max(256, opts.maxLine ?? MAX_LINE);
  }

  /** Masks's one line (without its newline). Longer than maxLine, it is scanned in pieces. */
  line(text: string): string {
    if (text.length <= this.#maxLine) return this.#one(text);
    let out = '';
    for (let i = 0; i < text.length; i += this.#maxLine) out += this.#one(text.slice(i, i + this.#maxLine));
    return out;
  }

  /** Feeds text that may end mid-line; returns the redacted complete lines (each with its newline). */
  chunk(text: string): string {
    const all = this.#partial + text;
    const nl = all.lastIndexOf('\n');
    if (nl < 0) {
      this.#partial = all;
      // A line with no end in sight is scanned in bounded pieces rather than held without limit.
      if (this.#partial.length <= this.#maxLine) return '';
      const out = this.line(this.#partial);
      this.#partial = '';
      return out;
    }
    this.#partial = all.slice(nl + 1);
    let out = '';
    for (const l of all.slice(0, nl).split('\n')) out += `${this.line(l)}\n`;
    return out;
  }

  /** The rest of a chunked stream (its last line had no newline). */
  flush(): string {
    const rest = this.#partial;
    this.#partial = '';
    return rest ? this.line(rest) : '';
  }

  /** Masks counted so far, by kind. */
  counts(): Record<string, number> {
    return { ...this.#counts };
  }

  /** The counts since the last take, then zero: one segment's worth. */
  takeCounts(): Record<string, number> {
    const c = this.#counts;
    this.#counts = {};
    return c;
  }

  #count(kind: string, n = 1): void {
    this.#counts[kind] = (this.#counts[kind] ?? 0) + n;
  }

  #one(text: string): string {
    if (this.#block) {
      const inBlock = this.#blockLine(text);
      if (inBlock !== null) return inBlock;
    }
    let line = text;
    if (HINTS.test(line)) line = this.#rules(line, line.toLowerCase());
    if (DIGITS4.test(line)) for (const rule of NO_HINT_RULES) line = this.#apply(rule, line);
    for (const x of this.#extra) line = this.#apply({ kind: x.kind, re: x.re, hints: [] }, line, true);
    if (line.includes('-----BEGIN')) line = this.#openPem(line);
    if (line.includes('ata')) line = this.#openData(line);
    return line;
  }

  #rules(line: string, lower: string): string {
    let out = line;
    for (const rule of RULES) {
      if (rule.hints.length === 0 || !rule.hints.some((h) => lower.includes(h))) continue;
      out = this.#apply(rule, out);
    }
    return out;
  }

  #apply(rule: Rule, line: string, whole = false): string {
    rule.re.lastIndex = 0;
    return line.replace(rule.re, (m: string, ...g: unknown[]) => {
      if (whole) {
        this.#count(rule.kind);
        return mask(rule.kind);
      }
      const pre = (g[0] as string | undefined) ?? '';
      const secret = (g[1] as string | undefined) ?? '';
      const post = typeof g[2] === 'string' ? g[2] : '';
      if (!secret || (rule.check && !rule.check(secret))) return m;
      this.#count(rule.kind);
      return `${pre}${mask(rule.kind)}${post}`;
    });
  }

  /** A BEGIN line whose END is not on it: mask to the end of the line and carry the block on. */
  #openPem(line: string): string {
    const m = PEM_BEGIN.exec(line);
    if (!m) return line;
    const kind = PEM_KIND[m[1]!] ?? 'pem-private-key';
    this.#count(kind);
    this.#block = { type: 'pem', kind, lines: 0 };
    return `${line.slice(0, m.index)}${mask(kind)}`;
  }

  #openData(line: string): string {
    const m = DATA_OPEN.exec(line);
    if (m) {
      this.#block = { type: 'data', indent: m[1]!.length, json: m[3] !== undefined, plain: (m[2] ?? m[3]) === 'stringData' };
      return line;
    }
    if (!ONE_LINE_SECRET.test(line)) return line;
    return line.replace(ONE_LINE_DATA, (_all, open: string, body: string, close: string) => {
      const masked = body.replace(ONE_LINE_VALUE, (_m, a: string, v: string, b: string) => {
        if (!v || v.startsWith('[REDACTED:')) return `${a}${v}${b}`;
        this.#count('kubernetes-secret-data');
        return `${a}${mask('kubernetes-secret-data')}${b}`;
      });
      return `${open}${masked}${close}`;
    });
  }

  /** A line inside an open block: its redacted form, or null when the block ended before it. */
  #blockLine(text: string): string | null {
    const b = this.#block!;
    if (b.type === 'pem') {
      const end = PEM_END.exec(text);
      if (end) {
        this.#block = null;
        const lead = /^(.*?)(?=[A-Za-z0-9+/=]*-----END)/.exec(text)?.[1] ?? '';
        return `${lead}${mask(b.kind)}${this.#one(text.slice(end.index + end[0].length))}`;
      }
      if (text.trim() === '' && b.lines < MAX_BLOCK_LINES) return (b.lines++, text);
      const body = PEM_BODY.exec(text);
      if (!body || ++b.lines > MAX_BLOCK_LINES) {
        this.#block = null;
        return null;
      }
      return `${body[1]}${mask(b.kind)}`;
    }
    return this.#dataLine(b, text);
  }

  #dataLine(b: Extract<Block, { type: 'data' }>, text: string): string | null {
    const indent = /^\s*/.exec(text)![0].length;
    if (b.json) {
      if (/^\s*\}/.test(text)) return ((this.#block = null), text);
      const e = JSON_ENTRY.exec(text);
      if (!e) return ((this.#block = null), null);
      if (!e[2] || e[2].startsWith('[REDACTED:')) return text;
      this.#count('kubernetes-secret-data');
      return `${e[1]}${mask('kubernetes-secret-data')}${e[3]}`;
    }
    if (text.trim() === '') return text;
    if (indent <= b.indent) return ((this.#block = null), null);
    const e = YAML_ENTRY.exec(text);
    const value = e?.[2];
    if (!e || value === undefined || value.startsWith('[REDACTED:')) return b.plain && !e ? mask('kubernetes-secret-data') : text;
    if (!b.plain && !(value.length >= 8 && value.length % 4 === 0 && B64_VALUE.test(value))) return text;
    this.#count('kubernetes-secret-data');
    return `${e[1]}${mask('kubernetes-secret-data')}`;
  }
}

/** Patterns from Settings: at most this many, each at most this long. */
export const MAX_PATTERNS = 50;
export const MAX_PATTERN_LENGTH = 512;
/** A pattern that takes longer than this on the probe inputs is refused as catastrophic. */
const PROBE_BUDGET_MS = 250;

/**
 * The quick static check of one pattern from Settings: compiles, bounded, does not match the empty
 * string, and has none of the shapes that backtrack without end (a quantified group that itself
 * ends in a quantifier, `(a+)+`, `(a|a)*`, back-references). Returns the problem in words, or null.
 */
export function checkPattern(source: string): string | null {
  if (typeof source !== 'string' || source.length === 0) return 'is empty';
  if (source.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (e) {
    return `is not a valid regular expression (${(e as Error).message})`;
  }
  if (re.test('')) return 'matches the empty string, so it would mask everywhere';
  if (/\\[1-9]|\\k</.test(source)) return 'uses a back-reference, which can take exponential time';
  if (/\((?:[^()\\]|\\.)*[*+}](?:\?)?\)[*+{]/.test(source)) return 'nests quantifiers like (a+)+, which can take exponential time';
  if (/\((?:[^()\\]|\\.)*\|(?:[^()\\]|\\.)*\)[*+{]/.test(source)) return 'repeats an alternation like (a|ab)*, which can take exponential time';
  return null;
}

/**
 * Compiles the redaction patterns from Settings for a Redactor. Each is checked statically, then
 * timed on hostile probe inputs in a worker thread that is killed when over budget: a pattern that
 * would hang collection is refused here, with its position, never run on a box's logs.
 */
export async function compilePatterns(sources: readonly string[]): Promise<ExtraPattern[]> {
  if (sources.length > MAX_PATTERNS) throw new FieldlinkError('BAD_REQUEST', `At most ${MAX_PATTERNS} redaction patterns; remove ${sources.length - MAX_PATTERNS}.`);
  sources.forEach((s, i) => {
    const problem = checkPattern(s);
    if (problem) throw new FieldlinkError('BAD_REQUEST', `Redaction pattern ${i + 1} ${problem}. Fix or remove it in Settings.`, { index: i });
  });
  if (sources.length) await probe(sources);
  return sources.map((s) => ({ kind: 'custom', re: new RegExp(s, 'g') }));
}

const PROBE_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const inputs = ['a'.repeat(20000) + '!', ' '.repeat(20000) + '\\u0000', '0'.repeat(20000) + 'x', 'aA0-_=:/ '.repeat(2500), 'ab'.repeat(10000) + 'c'];
for (let i = 0; i < workerData.length; i++) {
  parentPort.postMessage(i);
  const re = new RegExp(workerData[i], 'g');
  for (const s of inputs) s.replace(re, '');
}
parentPort.postMessage('done');`;

async function probe(sources: readonly string[]): Promise<void> {
  const worker = new Worker(PROBE_SCRIPT, { eval: true, workerData: [...sources], resourceLimits: { maxOldGenerationSizeMb: 64 } });
  let current = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let timer = setTimeout(() => reject(slow(current)), PROBE_BUDGET_MS * 4);
      worker.on('message', (m: number | 'done') => {
        if (m === 'done') return resolve();
        current = m;
        clearTimeout(timer);
        timer = setTimeout(() => reject(slow(current)), PROBE_BUDGET_MS);
      });
      worker.on('error', (e) => reject(new FieldlinkError('BAD_REQUEST', `Redaction pattern ${current + 1} failed its check: ${e.message}`, { index: current })));
      worker.on('exit', () => clearTimeout(timer));
    });
  } finally {
    await worker.terminate();
  }
}

const slow = (i: number) =>
  new FieldlinkError('BAD_REQUEST', `Redaction pattern ${i + 1} takes too long on long lines (catastrophic backtracking); simplify it in Settings.`, { index: i });
