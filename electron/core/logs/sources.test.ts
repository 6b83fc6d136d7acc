import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/index.ts';
import type { ExecOptions, ExecResult, Shell } from '../transport/index.ts';
import { collectBox, parseSource } from './sources.ts';
import { SegmentStore } from './segments.ts';
import { formatEntry, journalCommand } from './journald.ts';
import { lineTime } from './files.ts';
import { decodeMetaValue, uploadMetaOf } from './upload-meta.ts';

/** A Shell that runs commands on this machine with sh: real files, real tail/stat/find. */
class LocalShell implements Shell {
  readonly kind = 'ssh' as const;
  readonly target = 'local';
  execs = 0;
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.execs++;
    return new Promise((resolve, reject) => {
      const p = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (c: Buffer) => (opts.onStdout ? opts.onStdout(c) : out.push(c)));
      p.stderr.on('data', (c: Buffer) => err.push(c));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, signal: null, stdout: Buffer.concat(out), stderr: Buffer.concat(err), truncated: false }));
    });
  }
  put(): Promise<void> {
    throw new Error('not used');
  }
  get(): Promise<Uint8Array> {
    throw new Error('not used');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-logs-src-'));
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-logs-box-'));
  const store = new SegmentStore({ dataDir, db: openDatabase(path.join(dataDir, 'fieldlink.db')), quotaBytes: () => 1e9 });
  return { store, logDir, shell: new LocalShell() };
}

async function allText(store: SegmentStore, source: string): Promise<string> {
  let s = '';
  for (const seg of store.list({ source }).reverse()) for await (const c of store.readText(seg.hash)) s += (c as Buffer).toString();
  return s;
}

describe('file source', () => {
  it('collects a file, then only what is new, then across a rotation with nothing lost or doubled', async () => {
    const { store, logDir, shell } = setup();
    const file = path.join(logDir, 'app.log');
    const spec = [parseSource(file)];
    fs.writeFileSync(file, '2026-12-02T10:00:00Z one\n2026-12-02T10:00:01Z two password=hunter2\npartial');
    const first = await collectBox(shell, store, { boxId: 'B1', sources: spec });
    expect(first.lines).toBe(2);
    expect(first.redactions).toEqual({ 'password-field': 1 });
    expect(store.list()[0]!.timeFrom).toBe('2026-12-02T10:00:00.000Z');

    const again = await collectBox(shell, store, { boxId: 'B1', sources: spec });
    expect(again.lines).toBe(0);
    expect(again.segments).toBe(0);

    fs.appendFileSync(file, ' line\nthree\n');
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, 'four\n');
    const rotated = await collectBox(shell, store, { boxId: 'B1', sources: spec });
    expect(rotated.lines).toBe(3);
    fs.appendFileSync(file, 'five\n');
    await collectBox(shell, store, { boxId: 'B1', sources: spec });
    expect(await allText(store, `file:${file}`)).toBe('2026-12-02T10:00:00Z one\n2026-12-02T10:00:01Z two password=[REDACTED:password-field]\npartial line\nthree\nfour\nfive\n');
  });

  it('reads a truncated file again from the start, and notes a rotation whose old file is gone', async () => {
    const { store, logDir, shell } = setup();
    const file = path.join(logDir, 'k3s.log');
    const spec = [parseSource(file)];
    fs.writeFileSync(file, 'a\nb\n');
    await collectBox(shell, store, { boxId: 'B1', sources: spec });
    fs.truncateSync(file, 0);
    fs.writeFileSync(file, 'c\n');
    const t = await collectBox(shell, store, { boxId: 'B1', sources: spec });
    expect(t.sources[0]!.note).toMatch(/truncated/);
    fs.rmSync(file);
    fs.writeFileSync(`${file}.new`, 'd\n');
    fs.renameSync(`${file}.new`, file);
    const gone = await collectBox(shell, store, { boxId: 'B1', sources: spec });
    expect(gone.sources[0]!.note).toMatch(/rotated away/);
    expect(await allText(store, `file:${file}`)).toMatch(/^a\nb\nc\n\[fieldlink: .* was rotated and the old file is gone; .*\]\nd\n$/);
  });

  it('bounds a run and goes on next time; skips an absent file with a note', async () => {
    const { store, logDir, shell } = setup();
    const file = path.join(logDir, 'big.log');
    const line = `${'x'.repeat(99)}\n`;
    fs.writeFileSync(file, line.repeat(60_000)); // 6 MB: two reads of 4 MiB
    const one = await collectBox(shell, store, { boxId: 'B1', sources: [parseSource(file), parseSource(path.join(logDir, 'absent.log'))], maxBytesPerSource: 1 });
    expect(one.more).toBe(true);
    expect(one.sources[1]!.note).toMatch(/no such file/);
    const two = await collectBox(shell, store, { boxId: 'B1', sources: [parseSource(file)] });
    expect(two.more).toBe(false);
    expect(one.lines + two.lines).toBe(60_000);
    expect((await allText(store, `file:${file}`)).length).toBe(6_000_000);
  });
});

describe('journald formatting', () => {
  it('prints an entry as journalctl short-iso would, one line per message line', () => {
    const e = {
      __CURSOR: 's=1',
      __REALTIME_TIMESTAMP: '1796252717467357',
      _HOSTNAME: 'box-03',
      SYSLOG_IDENTIFIER: 'sshd',
      _PID: '10',
      MESSAGE: 'Accepted password for root\nsecond',
    };
    expect(formatEntry(e)).toEqual({
      time: 1796252717467.357,
      lines: ['2026-12-02T23:05:17.467357Z box-03 sshd[10]: Accepted password for root', '2026-12-02T23:05:17.467357Z box-03 sshd[10]: second'],
    });
    expect(formatEntry({ MESSAGE: [104, 105] }).lines).toEqual(['- - -: hi']);
    expect(journalCommand({ cursor: "s=1;i=2'x" })).toContain(`--after-cursor='s=1;i=2'\\''x'`);
  });

  it('reads line times from ISO and syslog stamps', () => {
    expect(lineTime('2026-12-02 10:00:00,123+0100 x')).toBe(Date.parse('2026-12-02T10:00:00.123+01:00'));
    expect(lineTime('Dec  2 10:16:01 edge-01 sshd', new Date('2026-12-03T00:00:00Z'))).toBe(new Date(2026, 11, 2, 10, 16, 1).getTime());
    expect(lineTime('no time here')).toBeUndefined();
  });
});

describe('upload metadata', () => {
  it('fits the collector rules: no slash, no dot-dot, reversible', async () => {
    const { store, logDir, shell } = setup();
    const file = path.join(logDir, 'a..b.log');
    fs.writeFileSync(file, 'x\n');
    await collectBox(shell, store, { boxId: 'FL/25', sources: [parseSource(file)] });
    const meta = uploadMetaOf(store.list()[0]!);
    for (const v of Object.values(meta)) {
      expect(v).not.toMatch(/[/\\]|\.\./);
      expect(v).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(decodeMetaValue(meta.source)).toBe(`file:${file}`);
    expect(decodeMetaValue(meta.box)).toBe('FL/25');
  });
});
