import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../electron/core/app.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import type { Job } from '../../shared/model.ts';
import { labStatus, REPO } from './helpers.ts';

const execFileP = promisify(execFile);

/**
 * The opt-in subnet sweep from the technician namespace against the lab's real sshd, beside the
 * lab's real avahi: every box found on 22 with its host keys, one box each with its mDNS serial.
 * Only 10.77.0.0/24 (the lab LAN) is ever swept here.
 */
describe('subnet sweep of the lab LAN from fl-tech', () => {
  let app: App;
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-sweep-'));
    app = createApp({ dataDir: dir, host: 'cli', logger: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const jobEnd = (id: string) =>
    new Promise<Job>((resolve) => {
      const off = app.bus.on('job.changed', (j) => {
        if (j.id === id && j.state !== 'running') {
          off();
          resolve(j);
        }
      });
    });

  it('finds every lab box on 22 with its host keys and merges it with its mDNS announcement: one box each, serial kept', async () => {
    const s = await labStatus();
    const want = s.boxes.filter((b) => b.power === 'on');
    app.discovery.start();
    const started = Date.now();
    const r = await app.dispatch('discovery.sweep', { cidr: '10.77.0.0/24' });
    if (!r.ok) throw new Error(`discovery.sweep refused: ${r.error.message}`);
    const { jobId, plan } = r.value as { jobId: string; plan: { cidr: string; count: number } };
    expect(plan).toMatchObject({ cidr: '10.77.0.0/24', count: 254 });
    const end = await jobEnd(jobId);
    process.stdout.write(`sweep: ${want.length} lab boxes, 254 addresses swept in ${Date.now() - started} ms; final step "${end.step}"\n`);
    expect(end).toMatchObject({ state: 'done', progress: 1 });
    expect(end.step).toBe(`Scanned 254 addresses · ${want.length} boxes found`);
    const boxes = app.inventory.list();
    for (const w of want) {
      const mine = boxes.filter((b) => b.addresses.includes(w.ip));
      expect(
        mine.map((b) => b.id),
        `${w.name} (${w.ip}) should be exactly one box, not ${mine.map((b) => b.id).join(' and ')}`,
      ).toHaveLength(1);
      expect(mine[0]).toMatchObject({ serial: w.serial, arch: w.arch });
      // Discovery also follows the lab's serial consoles: a box on its cable too is reached 'both'.
      expect(['lan', 'both']).toContain(mine[0]!.reach);
      const rows = app.db.prepare("SELECT facts FROM sightings WHERE box_id = ? AND source = 'sweep'").all(mine[0]!.id) as Array<{ facts: string }>;
      expect(rows.length, `${w.name} has a sweep sighting`).toBeGreaterThan(0);
      const facts = JSON.parse(rows[0]!.facts) as Record<string, string>;
      expect(facts.banner).toMatch(/^SSH-2\.0-OpenSSH/);
      for (const k of w.hostKeys) expect(facts.hostKeys, `${w.name}'s ${k.type} key`).toContain(`${k.type} ${k.fingerprint}`);
    }
    expect(
      boxes.filter((b) => b.id.startsWith('key:')),
      'no second box known only by its key',
    ).toEqual([]);
  });

  it('an address pinned to another key is flagged "key changed" on its box, not merged', async () => {
    const s = await labStatus();
    const w = s.boxes.find((b) => b.power === 'on')!;
    const box = app.inventory.list().find((b) => b.serial === w.serial)!;
    const lastSeen = box.lastSeen;
    app.trust.pin({ host: w.ip, port: 22, keyType: 'ssh-ed25519', fingerprint: `SHA256:${'Z'.repeat(43)}`, source: 'typed', boxId: box.id });
    try {
      const r = await app.dispatch('discovery.sweep', { cidr: `${w.ip}/32` });
      if (!r.ok) throw new Error(r.error.message);
      await jobEnd((r.value as { jobId: string }).jobId);
      expect(app.inventory.get(box.id)).toMatchObject({ trust: 'changed', lastSeen });
    } finally {
      app.trust.forget(w.ip, 22);
      app.inventory.markKeyChanged(box.id, false);
    }
  });

  it('refuses a /8 without force, through the call and the CLI, before anything is sent', async () => {
    const r = await app.dispatch('discovery.sweep', { cidr: '10.0.0.0/8' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/16,777,216 addresses.*--force/) });
    const cli = await execFileP(
      path.join(REPO, 'node_modules', '.bin', 'node'),
      [path.join(REPO, 'bin', 'fieldlink.js'), '--data-dir', dir, 'discover', '--no-mdns', '--sweep', '10.0.0.0/8'],
      { timeout: 30_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/more than the \/16/);
  });

  it('cancelled mid-sweep, the job ends within a second and nothing more is recorded', async () => {
    const r = await app.dispatch('discovery.sweep', { cidr: '10.77.0.0/24' });
    if (!r.ok) throw new Error(r.error.message);
    const { jobId } = r.value as { jobId: string };
    // Silent addresses hold their 1 s connect timeout: at 400 ms the sweep is in its first wave.
    await new Promise((res) => setTimeout(res, 400));
    const ended = jobEnd(jobId);
    const t0 = performance.now();
    app.jobs.cancel(jobId);
    const end = await ended;
    const ms = performance.now() - t0;
    process.stdout.write(`sweep: cancelled, job ended ${ms.toFixed(0)} ms after jobs.cancel at "${end.step}"\n`);
    expect(end.state).toBe('cancelled');
    expect(ms).toBeLessThan(1000);
    const count = () => (app.db.prepare("SELECT COUNT(*) AS n FROM sightings WHERE source = 'sweep'").get() as { n: number }).n;
    const before = count();
    await new Promise((res) => setTimeout(res, 1500));
    expect(count(), 'no sighting after the cancel').toBe(before);
  });

  it('fieldlink discover --sweep --json lists every lab box with its serial, and the sweep summary', async () => {
    const s = await labStatus();
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-sweep-cli-'));
    try {
      const r = await execFileP(
        path.join(REPO, 'node_modules', '.bin', 'node'),
        [path.join(REPO, 'bin', 'fieldlink.js'), '--data-dir', data, 'discover', '--json', '--timeout', '1s', '--sweep', '10.77.0.0/24'],
        { timeout: 60_000 },
      );
      const out = JSON.parse(r.stdout) as {
        boxes: Array<{ serial: string; addresses: string[] }>;
        sweep: { cidr: string; boxes: Array<{ address: string; serial: string | null }>; keyChanged: unknown[] };
      };
      expect(r.stderr).toMatch(/of 254 addresses/);
      expect(out.sweep).toMatchObject({ cidr: '10.77.0.0/24', keyChanged: [] });
      for (const w of s.boxes.filter((b) => b.power === 'on')) {
        expect(out.boxes.filter((b) => b.addresses.includes(w.ip)).map((b) => b.serial)).toEqual([w.serial]);
        expect(out.sweep.boxes.find((b) => b.address === w.ip)?.serial).toBe(w.serial);
      }
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});
