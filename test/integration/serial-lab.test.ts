import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxStatus, LabStatus } from '../../lab/index.ts';
import { FieldlinkError } from '../../shared/errors.ts';
import { openSerial, type SerialShell } from '../../electron/core/transport/serial/index.ts';
import { readHostKeys } from '../../electron/core/trust/index.ts';
import { lab, labStatus } from '../lab/helpers.ts';

/*
 * The serial shell against the lab's consoles: a real agetty and /bin/login inside the box, a relay
 * throttled to 115200 baud that drops kernel lines into the console, and a cable the lab can pull.
 */

let status: LabStatus;
let shell: SerialShell | null = null;
let box: BoxStatus;

/** Consoles are shared by every suite on this machine: take the first one nobody holds. */
async function openFreeConsole(): Promise<{ box: BoxStatus; shell: SerialShell }> {
  const until = Date.now() + 90_000;
  for (;;) {
    for (const b of status.boxes) {
      if (!b.consolePlugged || b.power !== 'on') continue;
      try {
        const sh = await openSerial({ path: b.console, credentials: { user: 'root', password: b.password }, timeoutMs: 60_000 });
        return { box: b, shell: sh };
      } catch (err) {
        if (!(err instanceof FieldlinkError) || err.code !== 'CONFLICT' || Date.now() > until) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

beforeAll(async () => {
  status = await labStatus();
  ({ box, shell } = await openFreeConsole());
});

afterAll(async () => {
  await shell?.close();
  await lab('noise', String(status.options?.consoleNoiseS ?? 20));
});

describe('serial shell on a lab console', () => {
  it('logs in with the label password and runs commands with their exit codes', async () => {
    expect(shell!.target).toBe(box.console);
    const r = await shell!.exec('hostname; id -u; echo warn >&2; exit 4');
    expect(r.code).toBe(4);
    expect(text(r.stdout)).toBe(`${box.hostname}\n0\n`);
    expect(text(r.stderr)).toBe('warn\n');
  });

  it('returns output exactly while kernel messages land in the middle of it', async () => {
    expect((await lab('noise', '0.3')).code).toBe(0);
    try {
      const before = shell!.kernelLinesRemoved;
      const cmd = 'for i in $(seq 1 40); do seq -s , 1 200; sleep 0.1; done';
      const r = await shell!.exec(cmd, { timeoutMs: 60_000 });
      const line = `${Array.from({ length: 200 }, (_, i) => i + 1).join(',')}\n`;
      expect(r.code).toBe(0);
      expect(text(r.stdout)).toBe(line.repeat(40));
      expect(shell!.kernelLinesRemoved - before).toBeGreaterThan(3);
    } finally {
      await lab('noise', '0');
    }
  });

  it('puts and gets 64 KiB with sha256 checked on the box', async () => {
    const data = randomBytes(64 * 1024);
    const file = `/tmp/fl-serial-lab-${randomBytes(4).toString('hex')}.bin`;
    try {
      await shell!.put(file, data, 0o640);
      const onBox = await shell!.exec(`sha256sum ${file} | cut -c1-64; stat -c %a ${file}`);
      expect(text(onBox.stdout)).toBe(`${sha(data)}\n640\n`);
      const back = await shell!.get(file);
      expect(sha(back)).toBe(sha(data));
    } finally {
      await shell!.exec(`rm -f ${file}`);
    }
  });

  it('reads the box SSH host keys over the console, matching what the lab generated', async () => {
    const keys = await readHostKeys(shell!, { timeoutMs: 30_000 });
    const expected = box.hostKeys.map((k) => `${k.type} ${k.fingerprint}`).sort();
    expect(keys.map((k) => `${k.keyType} ${k.fingerprint}`).sort()).toEqual(expected);
  });

  it('fails with LINK_DOWN at once when the cable is pulled mid-command, and works after plug and reopen', async () => {
    const running = shell!.exec('sleep 30; echo finished', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const pulled = Date.now();
    expect((await lab('unplug', box.name)).code).toBe(0);
    await expect(running).rejects.toMatchObject({ code: 'LINK_DOWN' });
    expect(Date.now() - pulled).toBeLessThan(10_000);
    await shell!.close();
    shell = null;
    expect((await lab('plug', box.name)).code).toBe(0);
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        shell = await openSerial({ path: box.console, credentials: { user: 'root', password: box.password }, timeoutMs: 60_000 });
        break;
      } catch (err) {
        // The lab makes the device again a moment after plug, as udev would.
        if (!(err instanceof FieldlinkError) || err.code !== 'NOT_FOUND' || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(text((await shell.exec('echo replugged')).stdout)).toBe('replugged\n');
  });
});
