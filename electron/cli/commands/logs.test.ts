import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/db/index.ts';
import { Redactor, SegmentSink, SegmentStore } from '../../core/logs/index.ts';

const bin = fileURLToPath(new URL('../../../bin/fieldlink.js', import.meta.url));

function fieldlink(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('fieldlink logs', () => {
  it('lists what the store holds, damaged segments marked, in JSON and as a table', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-cli-logs-'));
    const db = openDatabase(path.join(dataDir, 'fieldlink.db'));
    const store = new SegmentStore({ dataDir, db, quotaBytes: () => 1e9 });
    for (const source of ['journald', 'file:/var/log/syslog']) {
      const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL25X', source, start: null });
      // Each source its own line: the store keeps segments by content, and identical ones are one.
      await sink.line(`${source}: Accepted password for root; DB_PASS=x`, 'c1', Date.UTC(2026, 11, 2));
      await sink.finish();
    }
    const lost = store.list({ source: 'journald' })[0]!;
    fs.rmSync(store.pathOf(lost.hash));
    db.close();

    const j = await fieldlink(['--data-dir', dataDir, 'logs', 'list', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as {
      segments: { source: string; redactions: Record<string, number> }[];
      problems: { hash: string; problem: string }[];
      usage: { segments: number };
    };
    expect(out.segments.map((s) => s.source).sort()).toEqual(['file:/var/log/syslog', 'journald']);
    expect(out.segments[0]!.redactions).toEqual({ 'env-password': 1 });
    expect(out.problems).toEqual([expect.objectContaining({ hash: lost.hash, problem: 'missing' })]);
    const t = await fieldlink(['--data-dir', dataDir, 'logs', 'list']);
    expect(t.stdout).toMatch(/DAMAGED \(missing\)/);
    expect(t.stdout).toMatch(/1 segments are damaged/);
  });

  it('says what a usage error is, exit 2', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-cli-logs-'));
    expect((await fieldlink(['--data-dir', dataDir, 'logs'])).code).toBe(2);
    expect((await fieldlink(['--data-dir', dataDir, 'logs', 'collect'])).code).toBe(2);
    const bad = await fieldlink(['--data-dir', dataDir, 'logs', 'collect', 'ssh://root@127.0.0.1:1', '--sources', 'relative/path']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/absolute path/);
  });
});
