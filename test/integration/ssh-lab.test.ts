import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../fixtures/needs.ts';
import { FieldlinkError } from '../../shared/errors.ts';
import { connectSsh, type SshShell } from '../../electron/core/transport/ssh/index.ts';
import { readHostKeys, hostKeyCheck } from '../../electron/core/trust/index.ts';

/** The lab's box-01 when the lab is up and we run inside fl-tech (where the box LAN is reachable). */
function labBox(): { ip: string; password: string; hostKeys: Array<{ type: string; fingerprint: string }> } | null {
  try {
    const s = JSON.parse(execFileSync(process.execPath, ['bin/fieldlink-lab.js', 'status', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }));
    if (!s.up) return null;
    const ns = execFileSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8' }).trim();
    if (ns !== s.tech.ns) return null;
    return s.boxes.find((b: { name: string; power?: string }) => b.name === 'box-01' && b.power !== 'off') ?? null;
  } catch {
    return null;
  }
}

const box = labBox();

describeWith(box ? null : 'needs the lab up with box-01 powered (npm run lab -- up), run inside fl-tech', 'SSH shell against the lab box-01 (real box sshd, from fl-tech)', () => {
  let sh: SshShell;
  const pins = () => box!.hostKeys.map((k) => ({ keyType: k.type, fingerprint: k.fingerprint }));
  beforeAll(async () => {
    sh = await connectSsh({ host: box!.ip, agent: '', password: async () => box!.password, trust: hostKeyCheck({ pinned: pins(), mode: 'strict' }) });
  });
  afterAll(async () => {
    await sh?.close();
  });

  it('reads the box host keys over the shell and they equal what the lab says', async () => {
    const keys = await readHostKeys(sh);
    expect(keys.map((k) => `${k.keyType} ${k.fingerprint}`).sort()).toEqual(
      pins()
        .map((k) => `${k.keyType} ${k.fingerprint}`)
        .sort(),
    );
  });

  it('a timed-out command is gone from the box afterwards (checked on the box with pgrep)', async () => {
    const err = (await sh.exec('sleep 5151.25', { timeoutMs: 700 }).catch((e) => e)) as FieldlinkError;
    expect(err.code).toBe('TIMEOUT');
    let left = 'x';
    for (let i = 0; i < 50 && left; i++) {
      left = Buffer.from((await sh.exec("pgrep -f '^sleep 5151.25' || true")).stdout)
        .toString()
        .trim();
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe('');
  });

  it('put/get a file on the box, sha256-verified, then removes it', async () => {
    const data = randomBytes(300_000);
    const p = `/tmp/fl-ssh-lab-${process.pid}.bin`;
    await sh.put(p, data, 0o600);
    const back = await sh.get(p);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(
      Buffer.from((await sh.exec(`stat -c %a ${p}; rm -f ${p}`)).stdout)
        .toString()
        .trim(),
    ).toBe('600');
  });

  it('a pin that does not match the box is HOST_KEY_CHANGED before login', async () => {
    const wrong = pins().map((k) => ({ ...k, fingerprint: `SHA256:${createHash('sha256').update(k.fingerprint).digest('base64').replace(/=+$/, '')}` }));
    let asked = false;
    const err = (await connectSsh({
      host: box!.ip,
      agent: '',
      password: async () => ((asked = true), box!.password),
      trust: hostKeyCheck({ pinned: wrong, mode: 'accept-new' }),
    }).catch((e) => e)) as FieldlinkError;
    expect(err.code).toBe('HOST_KEY_CHANGED');
    expect(asked).toBe(false);
  });
});
