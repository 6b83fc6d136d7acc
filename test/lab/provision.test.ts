import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus } from '../../lab/index.ts';
import { technicianKeyPath } from '../../electron/core/keys/index.ts';
import { REPO, labStatus, ssh } from './helpers.ts';
import { buildRelease, keySsh, restoreFactoryState, saveFactoryState, type FactoryState } from './provision-helpers.ts';

/**
 * `fieldlink provision` with assets/profiles/example.yaml takes box-04, as the factory left it, to
 * a Ready k3s node with key login only, through the real CLI over real OpenSSH; a second dry run
 * finds no drift. Afterwards the box is put back to its factory state (k3s uninstalled, password
 * login on, its hostname and keys), as the other suites expect it.
 */
const BOX = 'box-04';
const BIN = path.join(REPO, 'bin', 'fieldlink.js');
const PROFILE = path.join(REPO, 'assets', 'profiles', 'example.yaml');

function fieldlink(args: string[], opts: { input?: string; dataDir: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, '--data-dir', opts.dataDir, ...args], { timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? '');
  });
}

describe('fieldlink provision with the example profile on a factory box', () => {
  let box: BoxStatus;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-provision-'));
  let saved: FactoryState;

  beforeAll(async () => {
    const s = await labStatus();
    const b = s.boxes.find((x) => x.name === BOX);
    if (!b || b.state !== 'factory' || b.power !== 'on') throw new Error(`${BOX} must be a powered-on factory box for this suite (it is ${b?.state ?? 'missing'}).`);
    box = b;
    saved = await saveFactoryState(box);
    // The laptop's artifact cache, from the lab's stand-in release (as a technician adds one from a USB stick).
    const release = buildRelease(path.join(dataDir, 'usb'));
    const added = await fieldlink(['artifacts', 'add', release], { dataDir });
    expect(added.code, added.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (!box) return;
    await restoreFactoryState(box, saved, technicianKeyPath(dataDir));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('takes the box to a Ready node with key login only; a second dry run finds no drift', async () => {
    const dry = await fieldlink(['provision', box.ip, '--profile', PROFILE, '--dry-run', '--accept-new', '--password-stdin', '--json'], { dataDir, input: `${box.password}\n` });
    expect(dry.code, dry.stderr).toBe(0);
    const before = JSON.parse(dry.stdout) as { boxes: Array<{ ok: boolean; outcomes: Array<{ id: string; outcome: string; drift: string[] }> }> };
    expect(before.boxes[0]!.outcomes.find((o) => o.id === 'k3s')).toMatchObject({ outcome: 'would-change' });

    const t0 = performance.now();
    const run = await fieldlink(['provision', box.ip, '--profile', PROFILE, '--password-stdin', '--json'], { dataDir, input: `${box.password}\n` });
    const ms = performance.now() - t0;
    process.stdout.write(`provision ${BOX}: factory to Ready in ${Math.round(ms)} ms\n${run.stderr}`);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { boxes: Array<{ ok: boolean; outcomes: Array<{ id: string; outcome: string; ms: number }> }> };
    expect(result.boxes[0]!.outcomes.map((o) => [o.id, o.outcome])).toEqual([
      ['facts', 'done'],
      ['hostname', 'changed'],
      ['time', expect.stringMatching(/^(done|changed)$/)],
      ['network', 'done'],
      ['keys', 'changed'],
      ['password', 'changed'],
      ['k3s', 'changed'],
      ['ready', 'changed'],
      ['labels', 'done'],
      ['workloads', 'changed'],
    ]);
    // The stderr step log names each step as it goes.
    expect(run.stderr).toMatch(/Install k3s…/);
    expect(run.stderr).toMatch(/Sending k3s/);

    // OpenSSH: the label password is refused now, and the technician key gets in.
    const pw = await ssh(box, 'true');
    expect(pw.code).not.toBe(0);
    expect(pw.stderr).toMatch(/Permission denied/);
    const key = await keySsh(
      box,
      technicianKeyPath(dataDir),
      'hostname; k3s kubectl get nodes --no-headers; k3s --version | head -n 1; cat /var/lib/rancher/k3s/server/manifests/fieldlink-site.yaml',
    );
    expect(key.code, key.stderr).toBe(0);
    const name = `edge-lab-${box.serial.slice(-6).toLowerCase()}`;
    const [hostname, node, version] = key.stdout.split('\n');
    expect(hostname).toBe(name);
    expect(node).toMatch(new RegExp(`^${name}\\s+Ready\\s`));
    expect(version).toMatch(/^k3s version v1\.30\.6\+k3s1 /);
    expect(key.stdout).toMatch(/name: fieldlink-site/);
    const labels = await keySsh(box, technicianKeyPath(dataDir), `k3s kubectl get node ${name} -o jsonpath='{.metadata.labels}'`);
    expect(JSON.parse(labels.stdout)).toMatchObject({ 'fieldlink.dev/site': 'lab', 'node.fieldlink.dev/role': 'edge', 'topology.kubernetes.io/region': 'lab' });

    // Again, as a dry run: nothing differs. (The key logs in now: no password given.)
    const again = await fieldlink(['provision', box.ip, '--profile', PROFILE, '--dry-run', '--json'], { dataDir });
    expect(again.code, again.stderr).toBe(0);
    const after = JSON.parse(again.stdout) as { boxes: Array<{ outcomes: Array<{ id: string; outcome: string; drift: string[] }> }> };
    expect(after.boxes[0]!.outcomes.filter((o) => o.outcome !== 'done')).toEqual([]);

    // Every step is in the audit log.
    const db = new DatabaseSync(path.join(dataDir, 'fieldlink.db'), { readOnly: true });
    const steps = db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'provision.step'").get() as { n: number };
    db.close();
    expect(steps.n).toBeGreaterThanOrEqual(30);
  }, 600_000);
});
