import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseTokens, startCollector } from '../../../collector/index.ts';
import { openDatabase } from '../../core/db/index.ts';
import { Redactor, SegmentSink, SegmentStore } from '../../core/logs/index.ts';

const bin = fileURLToPath(new URL('../../../bin/fieldlink.js', import.meta.url));

function fieldlink(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
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

  it('syncs the outbox to a real collector once; a second sync sends nothing; no token is a clear error', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-cli-sync-'));
    const db = openDatabase(path.join(dataDir, 'fieldlink.db'));
    const store = new SegmentStore({ dataDir, db, quotaBytes: () => 1e9 });
    for (const source of ['journald', 'file:/var/log/k3s.log']) {
      const sink = new SegmentSink(store, new Redactor(), { boxId: 'FL25X', source, start: null });
      await sink.line(`${source}: node ready`, 'c1', Date.UTC(2026, 11, 2));
      await sink.finish();
    }
    db.close();
    const token = 'cli-token-0123456789abcdef';
    const collector = await startCollector({ dir: path.join(dataDir, 'collector'), tokens: parseTokens(`tech ${token}\n`), port: 0, log: pino({ level: 'silent' }) });
    try {
      const env = { FIELDLINK_COLLECTOR_TOKEN: token };
      const first = await fieldlink(['--data-dir', dataDir, 'logs', 'sync', '--collector', collector.url, '--json'], env);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ uploaded: 2, duplicates: 0, waiting: 0, stoppedBy: null });
      expect(first.stderr).toMatch(/sync: 2 of 2 segments/);
      const again = await fieldlink(['--data-dir', dataDir, 'logs', 'sync', '--collector', collector.url], env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/Sent 0 segments .* 0 still waiting/);
      const none = await fieldlink(['--data-dir', dataDir, 'logs', 'sync', '--collector', collector.url], { FIELDLINK_COLLECTOR_TOKEN: '' });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/FIELDLINK_COLLECTOR_TOKEN/);
    } finally {
      await collector.close();
    }
  });
});
