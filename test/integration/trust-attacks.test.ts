import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus, LabStatus } from '../../lab/index.ts';
import { createApp, type App } from '../../electron/core/app.ts';
import { boxPasswordSecret } from '../../electron/core/connections/index.ts';
import type { FieldlinkError } from '../../shared/errors.ts';
import { REPO, labStatus } from '../lab/helpers.ts';

/**
 * The security review's attacks, replayed against the lab's real boxes: what a box on the cable, a
 * host that shows one key too many, or an address another box answers to can get pinned (nothing).
 * Each test uses its own data folder; the lab's boxes are only read from.
 */
const BIN = path.join(REPO, 'bin', 'fieldlink.js');

function fieldlink(args: string[], opts: { input?: string; dataDir: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, '--data-dir', opts.dataDir, ...args], { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? '');
  });
}

const dirs: string[] = [];
function dataDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-trust-attacks-'));
  dirs.push(d);
  return d;
}
async function withApp<T>(dir: string, fn: (app: App) => Promise<T> | T): Promise<T> {
  const app = createApp({ host: 'test', dataDir: dir });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
const key = (b: BoxStatus, type: string) => b.hostKeys.find((k) => k.type === type)!;
const BOGUS = `SHA256:${'Q'.repeat(43)}`;

describe('trust attacks against the lab', () => {
  let lab: LabStatus;
  let box02: BoxStatus;
  let box03: BoxStatus;
  let box04: BoxStatus;

  beforeAll(async () => {
    lab = await labStatus();
    [, box02, box03, box04] = lab.boxes as [BoxStatus, BoxStatus, BoxStatus, BoxStatus];
    if (!box04) throw new Error('These tests need box-04: fieldlink-lab up --boxes 5 --provisioned 2');
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('fieldlink trust --accept-new refuses a host whose ECDSA key DIFFERS from its pin, although its ed25519 matches', async () => {
    const dir = dataDir();
    const ed = key(box02, 'ssh-ed25519');
    await withApp(dir, (app) => {
      app.trust.pin({ host: box02.ip, port: 22, keyType: 'ssh-ed25519', fingerprint: ed.fingerprint, source: 'serial' });
      app.trust.pin({ host: box02.ip, port: 22, keyType: 'ecdsa-sha2-nistp256', fingerprint: BOGUS, source: 'serial' });
    });
    const r = await fieldlink(['trust', `ssh://root@${box02.ip}`, '--accept-new'], { dataDir: dir });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/CHANGED/);
    const pins = await withApp(dir, (app) => app.trust.forHost(box02.ip, 22));
    expect(pins.map((p) => `${p.keyType} ${p.fingerprint} ${p.source}`).sort()).toEqual([`ecdsa-sha2-nistp256 ${BOGUS} serial`, `ssh-ed25519 ${ed.fingerprint} serial`]);
  });

  it('fieldlink trust --accept-new refuses a key type added beside the pinned one, and pins nothing', async () => {
    const dir = dataDir();
    const ed = key(box02, 'ssh-ed25519');
    await withApp(dir, (app) => app.trust.pin({ host: box02.ip, port: 22, keyType: 'ssh-ed25519', fingerprint: ed.fingerprint, source: 'typed' }));
    const r = await fieldlink(['trust', `ssh://root@${box02.ip}`, '--accept-new', '--json'], { dataDir: dir });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/HOST_KEY_CHANGED|CHANGED/);
    const pins = await withApp(dir, (app) => app.trust.forHost(box02.ip, 22));
    expect(pins).toMatchObject([{ keyType: 'ssh-ed25519', fingerprint: ed.fingerprint, source: 'typed' }]);
  });

  it('fieldlink trust --accept-new on a host with no pins pins each offered key as first use, once the box signed with it', async () => {
    const dir = dataDir();
    const r = await fieldlink(['trust', `ssh://root@${box02.ip}`, '--accept-new', '--json'], { dataDir: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const pins = await withApp(dir, (app) => app.trust.forHost(box02.ip, 22));
    expect(pins.map((p) => `${p.keyType} ${p.fingerprint} ${p.source}`).sort()).toEqual(box02.hostKeys.map((k) => `${k.type} ${k.fingerprint} first-use`).sort());
    const again = await fieldlink(['trust', `ssh://root@${box02.ip}`, '--accept-new', '--json'], { dataDir: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ pins: expect.any(Array) });
  });

  it("box-04 read over its own cable pins its own address, and leaves box-03's pin alone", async () => {
    const dir = dataDir();
    await withApp(dir, async (app) => {
      for (const k of box03.hostKeys) app.trust.pin({ host: box03.ip, port: 22, keyType: k.type, fingerprint: k.fingerprint, source: 'serial', boxId: box03.serial });
      const before = app.trust.forHost(box03.ip, 22);
      const r = await app.connections.trustOverSerial(`serial:${box04.console}`, { password: box04.password, timeoutMs: 60_000 });
      expect(r.boxId).toBe(box04.serial);
      expect(r.pinned).toEqual([box04.ip]);
      expect(r.conflicts).toEqual([]);
      expect(
        app.trust
          .forHost(box04.ip, 22)
          .map((p) => `${p.keyType} ${p.fingerprint} ${p.boxId}`)
          .sort(),
      ).toEqual(box04.hostKeys.map((k) => `${k.type} ${k.fingerprint} ${box04.serial}`).sort());
      expect(app.trust.forHost(box03.ip, 22)).toEqual(before);
    });
  });

  it("box-04 reporting an address pinned for box-03 is a conflict: box-03's pin untouched, nothing pinned there", async () => {
    const dir = dataDir();
    await withApp(dir, async (app) => {
      // box-03's keys recorded at the address box-04 reports: what a rogue box claiming its neighbour's address looks like.
      for (const k of box03.hostKeys) app.trust.pin({ host: box04.ip, port: 22, keyType: k.type, fingerprint: k.fingerprint, source: 'serial', boxId: box03.serial });
      const before = app.trust.forHost(box04.ip, 22);
      const r = await app.connections.trustOverSerial(`serial:${box04.console}`, { password: box04.password, timeoutMs: 60_000 });
      expect(r.pinned).toEqual([]);
      expect(r.conflicts).toMatchObject([{ address: box04.ip, boxId: box03.serial }]);
      expect(app.trust.forHost(box04.ip, 22)).toEqual(before);
      expect(app.audit.list({ limit: 5 }).some((a) => a.action === 'trust.refused' && a.detail.includes(box03.serial))).toBe(true);
      // And the conflicting address is not recorded as box-04's in the inventory either.
      expect(app.inventory.get(box04.serial)?.addresses ?? []).not.toContain(box04.ip);
    });
  });

  it('a pin recorded for box-03 refuses a target named as another box at that address, before any password', async () => {
    const dir = dataDir();
    await withApp(dir, async (app) => {
      for (const k of box03.hostKeys) app.trust.pin({ host: box03.ip, port: 22, keyType: k.type, fingerprint: k.fingerprint, source: 'serial', boxId: box03.serial });
      app.inventory.recordSighting({ boxId: 'SN-IMPOSTOR', source: 'mdns', address: box03.ip, addresses: [box03.ip], hostname: 'impostor' });
      // The password sits in the keychain for the impostor; reading it is the first step of sending it.
      let asked = false;
      const get = app.secrets.get.bind(app.secrets);
      app.secrets.set(boxPasswordSecret('SN-IMPOSTOR'), box03.password);
      app.secrets.get = (name: string) => ((asked = true), get(name));
      const err = (await app.connections
        .shell('SN-IMPOSTOR', {})
        .then((s) => s.exec('true'))
        .catch((e) => e)) as FieldlinkError;
      expect(err.code).toBe('HOST_KEY_CHANGED');
      expect(err.details).toMatchObject({ pinnedBox: box03.serial, targetBox: 'SN-IMPOSTOR' });
      expect(asked).toBe(false);
    });
  });

  it('a box whose hostname is an address does not capture that address: the target goes to the address, verified by its own pin', async () => {
    const dir = dataDir();
    await withApp(dir, async (app) => {
      for (const k of box03.hostKeys) app.trust.pin({ host: box03.ip, port: 22, keyType: k.type, fingerprint: k.fingerprint, source: 'serial', boxId: box03.serial });
      app.inventory.recordSighting({ boxId: 'SN-NAMED-LIKE-AN-ADDRESS', source: 'mdns', address: '10.77.0.250', addresses: ['10.77.0.250'], hostname: box03.ip });
      expect(app.connections.resolve(box03.ip)).toMatchObject({ kind: 'ssh', host: box03.ip, boxId: null });
      const sh = await app.connections.shell(box03.ip, { password: box03.password });
      expect(
        Buffer.from((await sh.exec('hostname')).stdout)
          .toString()
          .trim(),
      ).toBe(box03.hostname);
    });
  });
});
