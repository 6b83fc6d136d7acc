import { FieldlinkError } from '../../../shared/errors.ts';
import { CHUNK_BYTES, readLines, remoteFailed, shq } from './remote.ts';
import { runSource, type SourceContext, type SourceResult } from './source.ts';
import type { SegmentSink } from './sink.ts';

/**
 * A log file on the box, followed by inode and byte offset so rotation loses nothing: the cursor is
 * {"i": inode, "o": offset}. When the path now names another inode, the old one is looked for in
 * the same folder (`find -inum`: logrotate renamed it to .1 or a date) and read to its end first,
 * then the new file from 0. A file that shrank under the same inode was truncated (copytruncate):
 * read from 0. Every read opens the file once (fd 3) and reports that fd's inode and size with the
 * bytes, so a rotation between two commands is noticed, never mixed up.
 */
export const DEFAULT_FILES = [
  '/var/log/syslog',
  '/var/log/messages',
  '/var/log/kern.log',
  '/var/log/auth.log',
  '/var/log/k3s.log',
  '/var/lib/rancher/k3s/agent/containerd/containerd.log',
] as const;

interface FileCursor {
  i: number;
  o: number;
  /** md5 of the file's first `p` bytes (p ≤ 256): tells a new file that reused a freed inode from the old one. */
  p?: number;
  k?: string;
}

const PRINT = 256;

const PATH_RE = /^\/[^\0\n\r]{1,4095}$/;
const ISO_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/;
const SYSLOG_TIME = /^([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})/;

export const fileSource = (file: string) => `file:${file}`;

export function checkPath(file: string): void {
  if (!PATH_RE.test(file) || file.split('/').includes('..'))
    throw new FieldlinkError('BAD_REQUEST', `A log file is an absolute path on the box without "..": "${file.slice(0, 80)}".`);
}

/** The time a line says it was written, if it starts with an ISO or syslog timestamp. */
export function lineTime(line: string, now = new Date()): number | undefined {
  const iso = ISO_TIME.exec(line);
  if (iso) {
    const t = Date.parse(
      iso[1]!
        .replace(' ', 'T')
        .replace(',', '.')
        .replace(/([+-]\d{2})(\d{2})$/, '$1:$2'),
    );
    if (Number.isFinite(t)) return t;
  }
  const sys = SYSLOG_TIME.exec(line);
  if (sys) {
    const t = Date.parse(`${sys[1]} ${now.getFullYear()}`);
    // December's lines read in January belong to last year.
    if (Number.isFinite(t)) return t > now.getTime() + 86_400_000 ? Date.parse(`${sys[1]} ${now.getFullYear() - 1}`) : t;
  }
  return undefined;
}

const parseCursor = (c: string | null): FileCursor | null => {
  if (!c) return null;
  try {
    const v = JSON.parse(c) as FileCursor;
    if (!Number.isSafeInteger(v.i) || !Number.isSafeInteger(v.o) || v.o < 0) return null;
    return Number.isSafeInteger(v.p) && typeof v.k === 'string' ? { i: v.i, o: v.o, p: v.p, k: v.k } : { i: v.i, o: v.o };
  } catch {
    return null;
  }
};
const cursorOf = (c: FileCursor) => JSON.stringify(c.k !== undefined ? { i: c.i, o: c.o, p: c.p, k: c.k } : { i: c.i, o: c.o });

export function collectFile(ctx: SourceContext, file: string): Promise<SourceResult> {
  checkPath(file);
  return runSource(ctx, fileSource(file), (sink, start, progress) => followFile(ctx, sink, file, parseCursor(start), progress));
}

async function followFile(ctx: SourceContext, sink: SegmentSink, file: string, cur: FileCursor | null, progress: () => void) {
  const now = await statFile(ctx, file, cur?.p ?? 0);
  if (!now) return { more: false, note: cur ? 'the file is gone from the box' : 'no such file on the box' };
  const budget = { left: ctx.maxBytes };
  let note: string | undefined;
  const fresh = (): FileCursor => ({ i: now.i, o: 0, p: now.p, k: now.k });
  // Same inode but another beginning: the old file was deleted and a new one got its inode number.
  const reused = cur !== null && cur.i === now.i && now.size >= cur.o && cur.k !== undefined && cur.k !== now.kAt;
  if (cur && (cur.i !== now.i || reused)) {
    const old = reused ? null : await findInode(ctx, file, cur.i);
    if (old) {
      const r = await readFrom(ctx, sink, old, cur, budget, progress, true);
      if (r.more) return { more: true };
    } else {
      note = `rotated away before it was collected (from byte ${cur.o} of the old file); lines may be missing`;
      await sink.line(`[fieldlink: ${file} was rotated and the old file is gone; lines after byte ${cur.o} of it may be missing]`, cursorOf(fresh()));
    }
    cur = fresh();
  }
  if (!cur) cur = fresh();
  if (now.size < cur.o) {
    note = 'truncated in place (copytruncate); read again from the start';
    cur = fresh();
  }
  // The fingerprint grows with the file until it covers its first 256 bytes.
  if (cur.o === 0 || (cur.p ?? 0) < PRINT) cur = { ...cur, p: now.p, k: now.k };
  const r = await readFrom(ctx, sink, file, cur, budget, progress, false);
  return { cursor: cursorOf(r.cursor), more: r.more, note };
}

/** Inode, size, and md5 of the first `at` bytes (the stored fingerprint's length) and of the first 256. */
async function statFile(ctx: SourceContext, file: string, at: number): Promise<{ i: number; size: number; p: number; k: string; kAt: string } | null> {
  const f = shq(file);
  const cmd = `exec 3< ${f} 2>/dev/null || exit 3; stat -L -c '%i %s' /dev/fd/3; head -c ${at} ${f} | md5sum; head -c ${PRINT} ${f} | md5sum`;
  const r = await ctx.shell.exec(cmd, { signal: ctx.signal, timeoutMs: 30_000, maxOutputBytes: 4096 });
  const m = /^(\d+) (\d+)\s+([0-9a-f]{32})\b.*\n([0-9a-f]{32})\b/.exec(Buffer.from(r.stdout).toString('latin1'));
  if (r.code !== 0 || !m) return null;
  const size = Number(m[2]);
  return { i: Number(m[1]), size, p: Math.min(size, PRINT), kAt: m[3]!, k: m[4]! };
}

async function findInode(ctx: SourceContext, file: string, inode: number): Promise<string | null> {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  const r = await ctx.shell.exec(`find ${shq(dir)} -maxdepth 1 -type f -inum ${inode} 2>/dev/null | head -n 1`, { signal: ctx.signal, timeoutMs: 30_000, maxOutputBytes: 8192 });
  const found = Buffer.from(r.stdout).toString('utf8').trim();
  return found && PATH_RE.test(found) ? found : null;
}

/**
 * Reads `file` from cur.o in bounded chunks until its end (or the budget). `whole`: the file is
 * finished (rotated away), so a last line without a newline is a line; otherwise it waits for its
 * newline until the next collection.
 */
async function readFrom(ctx: SourceContext, sink: SegmentSink, file: string, start: FileCursor, budget: { left: number }, progress: () => void, whole: boolean) {
  const cur = { ...start };
  for (;;) {
    const cmd = `exec 3< ${shq(file)} || exit 3; stat -L -c 'FLSTAT %i %s' /dev/fd/3 >&2; tail -c +${cur.o + 1} <&3 | head -c ${CHUNK_BYTES}`;
    const r = await readLines(ctx.shell, cmd, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    const st = /FLSTAT (\d+) (\d+)/.exec(r.stderr);
    if (r.code !== 0 || !st) throw remoteFailed(`Reading ${file}`, ctx.shell.target, r.stderr);
    // The path moved on to a new file between the stat and this read: start over from the cursor.
    if (Number(st[1]) !== cur.i) return { cursor: cur, more: true };
    for (const l of r.lines) {
      cur.o += l.bytes;
      await sink.line(l.text, cursorOf(cur), lineTime(l.text));
    }
    const atEnd = r.received < CHUNK_BYTES;
    if (atEnd && whole && r.partial > 0) {
      // The file is done: its unterminated last line is read on its own.
      const rest = await readLines(ctx.shell, `tail -c +${cur.o + 1} ${shq(file)} | head -c ${r.partial}; echo`, { signal: ctx.signal });
      for (const l of rest.lines) {
        cur.o += Math.max(0, l.bytes - 1); // the echo's newline is ours, not the file's
        await sink.line(l.text, cursorOf(cur), lineTime(l.text));
      }
    }
    progress();
    budget.left -= r.received - r.partial;
    if (atEnd) return { cursor: cur, more: false };
    if (budget.left <= 0) return { cursor: cur, more: true };
  }
}
