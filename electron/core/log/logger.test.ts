import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingFile, SECRET_KEYS, createLogger, detailsInLog, logFileOf, logFilePath } from './index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-log-'));
  dirs.push(d);
  return d;
}
const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe('the rotating log file', () => {
  it('keeps every file under the size bound and only `keep` rotated files, newest first', () => {
    const file = path.join(tmp(), 'logs', 'fieldlink.log');
    const out = new RotatingFile({ file, maxBytes: 1000, keep: 3 });
    // 100 lines of 100 bytes: room for 10 per file, so 10 files' worth written and 4 kept.
    for (let i = 0; i < 100; i++) out.write(`${String(i).padStart(3, '0')} ${'x'.repeat(95)}\n`);
    out.end();

    const names = fs.readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(['fieldlink.1.log', 'fieldlink.2.log', 'fieldlink.3.log', 'fieldlink.log']);
    for (const n of names) expect(fs.statSync(path.join(path.dirname(file), n)).size).toBeLessThanOrEqual(1000);
    // Whole lines, in order, the newest in the live file and the oldest kept in .3.
    const first = (f: string) => Number(lines(f)[0]!.slice(0, 3));
    expect(lines(file).map((l) => Number(l.slice(0, 3)))).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect([out.rotatedName(1), out.rotatedName(2), out.rotatedName(3)].map(first)).toEqual([80, 70, 60]);
  });

  it('carries on from an existing file and its size after a restart', () => {
    const file = path.join(tmp(), 'fieldlink.log');
    const a = new RotatingFile({ file, maxBytes: 300 });
    a.write(`${'a'.repeat(199)}\n`);
    a.end();
    const b = new RotatingFile({ file, maxBytes: 300 });
    b.write(`${'b'.repeat(199)}\n`); // 400 bytes would pass the bound: the first file moves to .1
    b.end();
    expect(lines(file)).toEqual(['b'.repeat(199)]);
    expect(lines(b.rotatedName(1))).toEqual(['a'.repeat(199)]);
  });

  it('follows a rotation made by another process on the same data folder instead of rotating twice', () => {
    const file = path.join(tmp(), 'fieldlink.log');
    const app = new RotatingFile({ file, maxBytes: 250, keep: 2 });
    const host = new RotatingFile({ file, maxBytes: 250, keep: 2 });
    const line = (c: string) => `${c.repeat(99)}\n`;
    app.write(line('a'));
    app.write(line('b'));
    app.write(line('c')); // app rotates: a, b move to .1
    host.write(line('d')); // host still holds what is now .1, and counts from 0
    host.write(line('e'));
    host.write(line('f')); // host's count passes the bound: it finds the file rotated and follows it
    app.end();
    host.end();
    expect(lines(file).map((l) => l[0])).toEqual(['c', 'f']);
    expect(lines(app.rotatedName(1)).map((l) => l[0])).toEqual(['a', 'b', 'd', 'e']);
    expect(fs.existsSync(app.rotatedName(2))).toBe(false);
  });

  it('makes the folder 0700 and the file 0600 (logs name boxes and addresses)', () => {
    if (process.platform === 'win32') return;
    const file = path.join(tmp(), 'logs', 'fieldlink.log');
    new RotatingFile({ file }).end();
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never throws on a write, even when the file went away under it', () => {
    const dir = tmp();
    const file = path.join(dir, 'logs', 'fieldlink.log');
    const out = new RotatingFile({ file, maxBytes: 50 });
    out.write('first line\n');
    fs.rmSync(path.join(dir, 'logs'), { recursive: true });
    expect(() => {
      for (let i = 0; i < 10; i++) out.write('0123456789\n');
    }).not.toThrow();
    out.end();
  });
});

describe('the file logger', () => {
  it('redacts every secret key in the file, at the top, nested and in headers', () => {
    const dataDir = tmp();
    const log = createLogger({ file: logFilePath(dataDir), level: 'info' });
    const secret = (k: string) => `S3CRET-${k}-value`;
    const record: Record<string, unknown> = { box: 'SN-1', headers: { authorization: secret('header') } };
    for (const k of SECRET_KEYS) {
      record[k] = secret(k);
      record[`${k}Holder`] = { [k]: secret(`nested-${k}`), deeper: { [k]: secret(`deep-${k}`) } };
    }
    log.child({ component: 'test' }).info(record, 'connecting');
    const text = fs.readFileSync(logFilePath(dataDir), 'utf8');
    expect(text).not.toContain('S3CRET');
    const line = JSON.parse(text.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ box: 'SN-1', component: 'test', msg: 'connecting', password: '[redacted]', headers: { authorization: '[redacted]' } });
    expect(line.tokenHolder).toEqual({ token: '[redacted]', deeper: { token: '[redacted]' } });
  });

  it('logs info and up into the file by default, and names that file for messages', () => {
    const dataDir = tmp();
    const prev = process.env.FIELDLINK_LOG;
    delete process.env.FIELDLINK_LOG;
    try {
      const log = createLogger({ file: logFilePath(dataDir) });
      const child = log.child({ component: 'web' });
      child.info('browser host: listening');
      child.debug('not this');
      expect(lines(logFilePath(dataDir)).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['browser host: listening']);
      expect(logFileOf(child)).toBe(path.join(dataDir, 'logs', 'fieldlink.log'));
      expect(detailsInLog(child)).toBe(`The details are in the log, ${path.join(dataDir, 'logs', 'fieldlink.log')}.`);
    } finally {
      if (prev !== undefined) process.env.FIELDLINK_LOG = prev;
    }
  });

  it('says "standard error" for a logger that writes to a stream (the command line)', () => {
    const log = createLogger({ destination: { write: () => true } as unknown as NodeJS.WritableStream });
    expect(logFileOf(log)).toBeUndefined();
    expect(detailsInLog(log)).toBe('The details are in the log (standard error).');
  });

  it('falls back to stderr when the log file cannot be made, instead of failing the app', () => {
    const blocker = path.join(tmp(), 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    const log = createLogger({ file: path.join(blocker, 'logs', 'fieldlink.log'), level: 'silent' });
    expect(logFileOf(log)).toBeUndefined();
  });
});
