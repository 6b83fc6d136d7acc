import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { itWith, needsRoot } from '../../../test/fixtures/needs.ts';
import { createLogger } from '../log/index.ts';
import { ensurePrivateDir, ensurePrivateFile } from './index.ts';

const posix = process.platform !== 'win32';
const NOBODY = 65534;

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-private-'));
  dirs.push(d);
  return d;
};
const modeOf = (p: string) => fs.statSync(p).mode & 0o7777;

function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination: stream }), text: () => lines.join('') };
}

describe.skipIf(!posix)('data folder and file modes', () => {
  it('creates a missing data folder 0700, parents included', () => {
    const d = path.join(tmp(), 'a', 'fieldlink');
    ensurePrivateDir(d);
    expect(modeOf(d)).toBe(0o700);
    expect(modeOf(path.dirname(d))).toBe(0o700);
  });

  it('tightens a folder or file others can get at, and logs what it changed', () => {
    const d = path.join(tmp(), 'data');
    fs.mkdirSync(d, { mode: 0o755 });
    fs.chmodSync(d, 0o775);
    const f = path.join(d, 'fieldlink.db');
    fs.writeFileSync(f, '');
    fs.chmodSync(f, 0o664);
    const sink = logSink();
    ensurePrivateDir(d, sink.log);
    ensurePrivateFile(f, sink.log);
    expect(modeOf(d)).toBe(0o700);
    expect(modeOf(f)).toBe(0o600);
    expect(sink.text()).toContain('data folder was open to other users; made it private');
    expect(sink.text()).toContain('data file was open to other users; made it private');
    expect(sink.text()).toContain('"was":"775"');
    expect(sink.text()).toContain('"was":"664"');
  });

  it('leaves private ones alone without a word, and a missing file for its creator', () => {
    const d = tmp();
    const f = path.join(d, 'secret.key');
    fs.writeFileSync(f, 'k', { mode: 0o600 });
    const sink = logSink();
    ensurePrivateDir(d, sink.log);
    ensurePrivateFile(f, sink.log);
    ensurePrivateFile(path.join(d, 'absent'), sink.log);
    expect(sink.text()).toBe('');
    expect(fs.existsSync(path.join(d, 'absent'))).toBe(false);
  });

  itWith(needsRoot('chown to another user'), 'refuses a folder or file owned by another user with a clear STORAGE error, changing nothing', () => {
    const d = path.join(tmp(), 'theirs');
    fs.mkdirSync(d, { mode: 0o755 });
    fs.chownSync(d, NOBODY, NOBODY);
    expect(() => ensurePrivateDir(d)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/belongs to another user/) }));
    expect(modeOf(d)).toBe(0o755);
    const mine = tmp();
    const f = path.join(mine, 'fieldlink.db');
    fs.writeFileSync(f, '', { mode: 0o600 });
    fs.chownSync(f, NOBODY, NOBODY);
    expect(() => ensurePrivateFile(f)).toThrow(expect.objectContaining({ code: 'STORAGE', details: expect.objectContaining({ owner: NOBODY }) }));
  });

  it('never takes over a shared sticky folder such as /tmp', () => {
    const shared = path.join(tmp(), 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    expect(() => ensurePrivateDir(shared)).toThrow(expect.objectContaining({ code: 'STORAGE', message: expect.stringMatching(/shared folder/) }));
    expect(modeOf(shared)).toBe(0o1777);
  });

  it('refuses a file where a folder belongs and the other way round', () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'file'), '');
    expect(() => ensurePrivateDir(path.join(d, 'file'))).toThrow(expect.objectContaining({ code: 'STORAGE' }));
    expect(() => ensurePrivateFile(d)).toThrow(expect.objectContaining({ code: 'STORAGE' }));
  });
});
