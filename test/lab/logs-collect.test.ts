import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { createApp, type App } from '../../electron/core/app.ts';
import { collectBox, parseSource, SegmentStore } from '../../electron/core/logs/index.ts';
import type { Shell } from '../../electron/core/transport/index.ts';
import { REPO, labStatus } from './helpers.ts';

/**
 * Log collection from a factory box (box-03) over SSH, as root with the label password: the
 * journal (the box's real journal files, entries appended with the lab's lab-journal) and a file
 * under /var/log. A second collection fetches nothing already fetched; a rotation (mv, new file)
 * loses nothing and doubles nothing; a secret written on the box never reaches the store.
 */
const BOX = 'box-03';
const FILE = '/var/log/fl-logs-collect-test.log';
const BIN = path.join(REPO, 'bin', 'fieldlink.js');

describe(`log collection from ${BOX} over SSH`, () => {
  let box: BoxStatus;
  let app: App;
  let shell: Shell;
  let store: SegmentStore;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-logs-collect-'));
  const marker = `fl-${process.pid}-${Date.now()}`;
  const run = async (cmd: string) => {
    const r = await shell.exec(cmd, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}: ${Buffer.from(r.stderr).toString()}`);
    return Buffer.from(r.stdout).toString();
  };
  const collect = () => collectBox(shell, store, { boxId: box.serial, sources: [parseSource('journald'), parseSource(FILE)] });
  const textOf = async (source: string) => {
    let s = '';
    for (const seg of store.list({ source }).reverse()) for await (const c of store.readText(seg.hash)) s += (c as Buffer).toString();
    return s;
  };

  beforeAll(async () => {
    box = (await labStatus()).boxes.find((b) => b.name === BOX && b.power === 'on')!;
    if (!box) throw new Error(`${BOX} is not on`);
    app = createApp({ dataDir, host: 'test' });
    shell = await app.connections.shell(`ssh://root@${box.ip}`, { mode: 'accept-new', password: box.password });
    store = new SegmentStore({ dataDir, db: app.db, quotaBytes: () => app.settings.get().quotaBytes, log: app.log });
    await run(`rm -f ${FILE} ${FILE}.1; printf 'first %s\\nsecond DB_PASSWORD=hunter2-${marker}\\n' ${marker} > ${FILE}`);
    await run(`lab-journal --ident fltest 'journal ${marker} token=tok-${marker}-secret'`);
  }, 60_000);

  afterAll(async () => {
    await shell?.exec(`rm -f ${FILE} ${FILE}.1`).catch(() => undefined);
    await shell?.close();
    await app?.close();
  });

  it('collects the journal and the file, redacted', async () => {
    const t0 = Date.now();
    const r = await collect();
    console.log(`first collect: ${r.lines} lines, ${r.rawBytes} raw bytes, ${r.bytes} stored, ${Date.now() - t0} ms`);
    expect(r.failed).toEqual([]);
    const journal = await textOf('journald');
    expect(journal.match(new RegExp(`journal ${marker}`, 'g'))).toHaveLength(1);
    expect(journal).toContain(`token=[REDACTED:token-field]`);
    expect(await textOf(`file:${FILE}`)).toBe(`first ${marker}\nsecond DB_PASSWORD=[REDACTED:env-password]\n`);
    expect(r.redactions).toMatchObject({ 'env-password': 1 });
    const all = (await Promise.all(store.list().map(async (s) => textOf(s.source)))).join('');
    expect(all).not.toContain(`hunter2-${marker}`);
    expect(all).not.toContain(`tok-${marker}-secret`);
  }, 60_000);

  it('a second collection fetches nothing it already has', async () => {
    const before = await textOf('journald');
    const r = await collect();
    const file = r.sources.find((s) => s.source === `file:${FILE}`)!;
    expect(file.lines).toBe(0);
    expect(file.segments).toHaveLength(0);
    const journal = r.sources.find((s) => s.source === 'journald')!;
    // Only what the box logged since (this session's own sshd lines), never an entry twice.
    expect(journal.lines).toBeLessThan(20);
    const after = await textOf('journald');
    expect(after.startsWith(before)).toBe(true);
    expect(after.match(new RegExp(`journal ${marker}`, 'g'))).toHaveLength(1);
  }, 60_000);

  it('a rotation (mv, then a new file) loses nothing and doubles nothing', async () => {
    await run(`printf 'third %s\\n' ${marker} >> ${FILE}; mv ${FILE} ${FILE}.1; printf 'fourth %s\\n' ${marker} > ${FILE}; printf 'fifth %s\\n' ${marker} >> ${FILE}.1`);
    const r = await collect();
    expect(r.sources.find((s) => s.source === `file:${FILE}`)!.lines).toBe(3);
    await run(`printf 'sixth %s\\n' ${marker} >> ${FILE}`);
    await collect();
    expect(await textOf(`file:${FILE}`)).toBe(
      [`first ${marker}`, `second DB_PASSWORD=[REDACTED:env-password]`, `third ${marker}`, `fifth ${marker}`, `fourth ${marker}`, `sixth ${marker}`].map((l) => `${l}\n`).join(''),
    );
  }, 60_000);

  it('goes on over the serial console from where SSH left off', async () => {
    await run(`lab-journal --ident fltest 'serial ${marker}'; printf 'seventh %s\\n' ${marker} >> ${FILE}`);
    const serial = await app.connections.shell(`serial:${box.console}`, { password: box.password });
    try {
      const t0 = Date.now();
      const r = await collectBox(serial, store, { boxId: box.serial, sources: [parseSource('journald'), parseSource(FILE), parseSource('dmesg')] });
      console.log(`serial collect: ${r.lines} lines, ${r.rawBytes} raw bytes in ${Date.now() - t0} ms`);
      expect(r.failed).toEqual([]);
      expect(r.sources.find((s) => s.source === `file:${FILE}`)!.lines).toBe(1);
    } finally {
      await serial.close();
    }
    expect((await textOf('journald')).match(new RegExp(`serial ${marker}`, 'g'))).toHaveLength(1);
    expect((await textOf(`file:${FILE}`)).endsWith(`sixth ${marker}\nseventh ${marker}\n`)).toBe(true);
  }, 180_000);

  it('fieldlink logs collect and list on the command line, per-box summary in JSON', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [BIN, '--data-dir', dataDir, ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
        child.stdin?.end(`${box.password}\n`);
      });
    const c = await cli(['logs', 'collect', `ssh://root@${box.ip}`, '--password-stdin', '--sources', `journald,${FILE}`, '--json']);
    expect(c.code, c.stderr).toBe(0);
    const out = JSON.parse(c.stdout) as { boxes: { ok: boolean; collection: { boxId: string; sources: { source: string; lines: number }[] } }[] };
    expect(out.boxes[0]).toMatchObject({ ok: true, collection: { boxId: box.serial } });
    expect(out.boxes[0]!.collection.sources.find((s) => s.source === `file:${FILE}`)!.lines).toBe(0);
    const l = await cli(['logs', 'list', '--json']);
    expect(l.code).toBe(0);
    expect((JSON.parse(l.stdout) as { segments: unknown[] }).segments.length).toBe(store.list().length);
  }, 120_000);
});
