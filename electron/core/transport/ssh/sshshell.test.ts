import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../../shared/errors.ts';
import { SshShell } from './sshshell.ts';

/*
 * SshShell.exec against a stand-in for ssh2's Client: enough of exec channels to fail a command in
 * each way a real link does (timeout, drop, no exit status, refused channel), so a test can look at
 * what the error says. A command can carry a join token; no error may.
 */

const SECRET = 'K10f00dfeedfacecafe::server:3c9a7d5e1b';
const COMMAND = `k3s agent --server https://10.77.0.11:6443 --token ${SECRET}`;

type Mode = 'hang' | 'exit-3' | 'no-exit' | 'refuse';

class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  closed = false;
  end(): void {}
  signal(): void {}
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

class FakeClient extends EventEmitter {
  mode: Mode = 'hang';
  exec(command: string, cb: (err: Error | undefined, ch: FakeChannel) => void): void {
    setImmediate(() => {
      const marker = /'(FLPID[0-9a-f]+=)'/.exec(command)?.[1];
      if (!marker) {
        // The kill script that stops a timed-out command: it runs and ends.
        const ch = new FakeChannel();
        cb(undefined, ch);
        setImmediate(() => ch.close());
        return;
      }
      if (this.mode === 'refuse') return cb(new Error('open failed'), undefined as never);
      const ch = new FakeChannel();
      cb(undefined, ch);
      ch.stderr.emit('data', Buffer.from(`${marker}4242\n`));
      if (this.mode === 'exit-3') {
        ch.emit('exit', 3);
        ch.close();
      } else if (this.mode === 'no-exit') ch.close();
    });
  }
  end(): void {
    this.emit('close');
  }
  destroy(): void {
    this.emit('close');
  }
}

function shell(mode: Mode): { sh: SshShell; client: FakeClient } {
  const client = new FakeClient();
  client.mode = mode;
  const sh = new SshShell(client as never, { host: '10.77.0.11', port: 22, user: 'root', hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x', publicKey: 'x' } as never });
  return { sh, client };
}

function expectNoCommandIn(err: unknown): void {
  expect(err).toBeInstanceOf(FieldlinkError);
  const e = err as FieldlinkError;
  const shown = JSON.stringify({ message: e.message, details: e.details, json: e.toJSON(), cause: String(e.cause ?? '') });
  expect(shown).not.toContain(SECRET);
  expect(shown).not.toContain('k3s agent');
}

describe('SshShell.exec errors never carry the command text', () => {
  it('a timeout says where and how long, not what', async () => {
    const { sh } = shell('hang');
    const err = await sh.exec(COMMAND, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
    expect((err as Error).message).toContain('root@10.77.0.11:22');
    expectNoCommandIn(err);
  });

  it('a cancel, a dropped link, a missing exit status and a refused channel do not either', async () => {
    const ac = new AbortController();
    const cancelled = shell('hang')
      .sh.exec(COMMAND, { signal: ac.signal })
      .catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 20);
    expect(await cancelled).toMatchObject({ code: 'ABORTED' });
    expectNoCommandIn(await cancelled);

    const drop = shell('hang');
    const running = drop.sh.exec(COMMAND).catch((e: unknown) => e);
    setTimeout(() => drop.client.emit('close'), 20);
    expect(await running).toMatchObject({ code: 'LINK_DOWN' });
    expectNoCommandIn(await running);
    // And on a link already gone.
    const after = await drop.sh.exec(COMMAND).catch((e: unknown) => e);
    expect(after).toMatchObject({ code: 'LINK_DOWN' });
    expectNoCommandIn(after);

    const noExit = await shell('no-exit')
      .sh.exec(COMMAND)
      .catch((e: unknown) => e);
    expect(noExit).toMatchObject({ code: 'REMOTE_FAILED' });
    expectNoCommandIn(noExit);

    const refused = await shell('refuse')
      .sh.exec(COMMAND)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'REMOTE_FAILED' });
    expectNoCommandIn(refused);
  });

  it('a non-zero exit is a result, and the result holds no command text', async () => {
    const r = await shell('exit-3').sh.exec(COMMAND);
    expect(r.code).toBe(3);
    expect(JSON.stringify({ ...r, stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString() })).not.toContain(SECRET);
  });
});
