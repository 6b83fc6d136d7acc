import { FieldlinkError } from '../../../shared/errors.ts';
import { CUT_MARKER, MAX_LINE_BYTES } from './lines.ts';
import { CHUNK_BYTES, readLines, remoteFailed, shq } from './remote.ts';
import { runSource, type SourceContext, type SourceResult } from './source.ts';
import type { SegmentSink } from './sink.ts';

/**
 * The systemd journal, incrementally: `journalctl -o json --after-cursor=C`, in batches the box
 * bounds itself (`head -n`, `head -c`). Each entry becomes one text line per line of its message,
 * as `journalctl -o short-iso-precise` would print it; the cursor is the last whole entry's
 * __CURSOR, stored with the segment that holds it. A unit narrows the source (`journald:k3s.service`),
 * with its own cursor.
 */
const FIELDS = 'MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_COMM,_PID,_SYSTEMD_UNIT,_HOSTNAME';
const BATCH_ENTRIES = 20_000;
const UNIT_RE = /^[\w@.:-]{1,200}$/;

export interface JournalEntry {
  __CURSOR?: string;
  __REALTIME_TIMESTAMP?: string;
  MESSAGE?: string | number[] | null;
  SYSLOG_IDENTIFIER?: string;
  _COMM?: string;
  _PID?: string;
  _HOSTNAME?: string;
  _SYSTEMD_UNIT?: string;
}

export function journalCommand(opts: { cursor: string | null; since?: string; unit?: string }): string {
  const args = ['journalctl', '-o', 'json', '--no-pager', `--output-fields=${FIELDS}`];
  if (opts.unit) args.push('-u', shq(opts.unit));
  if (opts.cursor) args.push(`--after-cursor=${shq(opts.cursor)}`);
  else if (opts.since) args.push(`--since=${shq(opts.since)}`);
  // journalctl's own errors go to stderr (bounded) past the pipeline that bounds its output.
  return `{ ${args.join(' ')} 2>&1 >&3 3>&- | head -c 4096 >&2; } 3>&1 | head -n ${BATCH_ENTRIES} | head -c ${CHUNK_BYTES}`;
}

/** An entry as text lines: "ISO host ident[pid]: message", one per message line, each ≤ 64 KiB. */
export function formatEntry(e: JournalEntry): { time: number | undefined; lines: string[] } {
  const us = Number(e.__REALTIME_TIMESTAMP);
  const time = Number.isFinite(us) ? us / 1000 : undefined;
  // Microseconds, as journald keeps them.
  const iso = time !== undefined ? new Date(time).toISOString().replace(/Z$/, `${String(us % 1000).padStart(3, '0')}Z`) : '-';
  const ident = e.SYSLOG_IDENTIFIER ?? e._COMM ?? e._SYSTEMD_UNIT ?? '-';
  const prefix = `${iso} ${e._HOSTNAME ?? '-'} ${ident}${e._PID ? `[${e._PID}]` : ''}: `;
  const raw = e.MESSAGE;
  const message = typeof raw === 'string' ? raw : Array.isArray(raw) ? Buffer.from(raw.filter((n) => Number.isInteger(n))).toString('utf8') : '';
  const lines: string[] = [];
  for (const part of message.split('\n')) {
    const line = prefix + part;
    if (Buffer.byteLength(line) <= MAX_LINE_BYTES) lines.push(line);
    else for (let i = 0; i < line.length; i += MAX_LINE_BYTES / 4) lines.push(line.slice(i, i + MAX_LINE_BYTES / 4) + (i + MAX_LINE_BYTES / 4 < line.length ? CUT_MARKER : ''));
  }
  return { time, lines };
}

export function journalSource(unit?: string): string {
  if (unit !== undefined && !UNIT_RE.test(unit)) throw new FieldlinkError('BAD_REQUEST', `"${unit.slice(0, 60)}" is not a systemd unit name.`);
  return unit ? `journald:${unit}` : 'journald';
}

export function collectJournal(ctx: SourceContext, unit?: string): Promise<SourceResult> {
  const source = journalSource(unit);
  return runSource(ctx, source, (sink, start, progress) => readJournal(ctx, sink, { start, unit, progress, source }));
}

async function readJournal(ctx: SourceContext, sink: SegmentSink, o: { start: string | null; unit?: string; progress: () => void; source: string }) {
  let cursor = o.start;
  let total = 0;
  for (;;) {
    const r = await readLines(ctx.shell, journalCommand({ cursor, since: ctx.since, unit: o.unit }), { signal: ctx.signal, timeoutMs: ctx.timeoutMs, maxLine: CHUNK_BYTES });
    if (r.lines.length === 0) {
      if (/not found|No such file/.test(r.stderr)) return { more: false, note: 'no journalctl on this box' };
      if (r.partial > 0)
        throw new FieldlinkError('PROTOCOL', `A journal entry on ${ctx.shell.target} is larger than ${CHUNK_BYTES >> 20} MiB; it cannot be collected. Collect files instead.`);
      if (r.stderr.trim() && !/^-- No entries --/m.test(r.stderr)) throw remoteFailed('journalctl', ctx.shell.target, r.stderr);
      return { more: false };
    }
    const before = cursor;
    for (const l of r.lines) {
      const entry = parse(l.text);
      if (!entry?.__CURSOR) continue;
      const { time, lines } = formatEntry(entry);
      for (const [i, text] of lines.entries()) await sink.line(text, entry.__CURSOR, time, i === lines.length - 1);
      cursor = entry.__CURSOR;
      total += l.bytes;
    }
    o.progress();
    if (r.received < CHUNK_BYTES && r.lines.length < BATCH_ENTRIES) return { more: false };
    if (cursor === before) throw new FieldlinkError('PROTOCOL', `journalctl on ${ctx.shell.target} sent entries without a cursor; cannot collect incrementally.`);
    if (total >= ctx.maxBytes) return { more: true };
  }
}

function parse(text: string): JournalEntry | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as JournalEntry) : null;
  } catch {
    return null;
  }
}
