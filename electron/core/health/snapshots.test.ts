import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zstdCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log/index.ts';
import { buildModel, type HealthSnapshot } from './model.ts';
import { MAX_SNAPSHOT_BYTES, SnapshotStore, snapshotFileName } from './snapshots.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE = path.resolve(HERE, '../../../node_modules/.bin/node');

function snapshot(target: string, pods = 3): HealthSnapshot {
  const raw = {
    nodes: [{ metadata: { name: 'edge-01' }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.30.6+k3s1' } } }],
    pods: Array.from({ length: pods }, (_, i) => ({ metadata: { name: `p-${i}`, namespace: 'edge' }, status: { phase: 'Running' } })),
    events: [],
  };
  return { target, via: 'api', link: 'ssh', takenAt: new Date().toISOString(), ...buildModel(raw), clock: null, clientCert: null, disk: null, diagnosis: [] };
}

function spyLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, m: string) => void warnings.push(m), info: () => undefined, error: () => undefined, debug: () => undefined, warnings };
  return log as unknown as Logger & { warnings: string[] };
}

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-snap-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('SnapshotStore', () => {
  it('keeps the last snapshot of each box, zstd-compressed, and reads it back whole', async () => {
    const dir = tempDir();
    const store = new SnapshotStore(dir);
    expect(await store.load('box-01')).toBeNull();
    await store.save('box-01', snapshot('box-01', 2));
    const second = snapshot('box-01', 500);
    await store.save('box-01', second);
    await store.save('box-02', snapshot('box-02'));
    expect(await store.load('box-01')).toEqual(second);
    expect((await store.load('box-02'))!.target).toBe('box-02');
    const file = path.join(dir, 'box-01.json.zst');
    const bytes = fs.readFileSync(file);
    expect([...bytes.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    expect(bytes.length).toBeLessThan(JSON.stringify(second).length / 5);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(['box-01.json.zst', 'box-02.json.zst']);
  });

  it('turns any box id into a file inside its folder, never a path out of it', async () => {
    const dir = tempDir();
    const store = new SnapshotStore(path.join(dir, 'snaps'));
    for (const key of ['../../etc/passwd', 'SHA256:ab/+c=', '..\\x', '.hidden', 'a b']) {
      const name = snapshotFileName(key);
      expect(name).toMatch(/^[A-Za-z0-9_-]+\.json\.zst$/);
      await store.save(key, snapshot(key));
      expect((await store.load(key))!.target).toBe(key);
    }
    expect(snapshotFileName('a/b')).not.toBe(snapshotFileName('a_b'));
    expect(fs.readdirSync(dir)).toEqual(['snaps']);
    expect(() => snapshotFileName('')).toThrow(/box id/);
    expect(() => snapshotFileName('..')).toThrow(/box id/);
    expect(() => snapshotFileName('a\0b')).toThrow(/box id/);
  });

  it('loads a damaged, truncated, foreign or oversized file as null with a warning, never throwing', async () => {
    const dir = tempDir();
    const log = spyLog();
    const store = new SnapshotStore(dir, log);
    await store.save('box-01', snapshot('box-01'));
    const file = path.join(dir, 'box-01.json.zst');
    const good = fs.readFileSync(file);
    const cases: Array<[string, Buffer]> = [
      ['truncated', good.subarray(0, Math.floor(good.length / 2))],
      ['garbage', Buffer.from('not zstd at all')],
      ['not a snapshot', zstdCompressSync(Buffer.from(JSON.stringify({ v: 1, key: 'box-01', snapshot: { pods: 'x' } })))],
      ['another box', zstdCompressSync(Buffer.from(JSON.stringify({ v: 1, key: 'box-09', snapshot: snapshot('box-09') })))],
      ['a bomb', zstdCompressSync(Buffer.alloc(MAX_SNAPSHOT_BYTES + 1024, 0x20))],
    ];
    for (const [what, bytes] of cases) {
      fs.writeFileSync(file, bytes);
      const before = log.warnings.length;
      expect(await store.load('box-01'), what).toBeNull();
      expect(log.warnings.length, what).toBe(before + 1);
    }
    // And the next save puts a good one back.
    await store.save('box-01', snapshot('box-01'));
    expect(await store.load('box-01')).not.toBeNull();
  });

  it('removes a half-written temp file a crash left, and leaves one a live writer may still own', async () => {
    const dir = tempDir();
    const old = path.join(dir, '.snap-0123456789abcdef.tmp');
    const young = path.join(dir, '.snap-fedcba9876543210.tmp');
    fs.writeFileSync(old, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2]));
    fs.writeFileSync(young, 'x');
    const past = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(old, past, past);
    const store = new SnapshotStore(dir);
    expect(await store.load('box-01')).toBeNull();
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(young)).toBe(true);
  });

  it('keeps a whole snapshot through kill -9 in the middle of saving', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const store = new SnapshotStore(dir);
    await store.save('box-01', snapshot('box-01', 1));
    // A writer that saves big snapshots in a loop, killed at random points.
    const script = `
      import { SnapshotStore } from ${JSON.stringify(path.join(HERE, 'snapshots.ts'))};
      import { buildModel } from ${JSON.stringify(path.join(HERE, 'model.ts'))};
      const s = new SnapshotStore(${JSON.stringify(dir)});
      const pods = Array.from({ length: 5000 }, (_, i) => ({ metadata: { name: 'p-' + i + '-' + Math.random(), namespace: 'edge' }, status: { phase: 'Running' } }));
      const snap = { target: 'box-01', via: 'api', link: 'ssh', takenAt: new Date().toISOString(), ...buildModel({ nodes: [], pods, events: [] }), clock: null, clientCert: null, disk: null, diagnosis: [] };
      process.stdout.write('ready\\n');
      for (;;) await s.save('box-01', snap);
    `;
    const file = path.join(dir, 'writer.mts');
    fs.writeFileSync(file, script);
    for (let round = 0; round < 3; round++) {
      const child = spawn(NODE, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 300));
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
      const got = await new SnapshotStore(dir).load('box-01');
      expect(got, `round ${round}`).not.toBeNull();
      expect([1, 5000]).toContain(got!.podCount);
    }
  });
});
