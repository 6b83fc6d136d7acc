import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../shared/errors.ts';
import { createLogger } from '../../electron/core/log/index.ts';
import { openSerial, type SerialShell } from '../../electron/core/transport/serial/index.ts';
import { startSerialFixture, type SerialFixture, type SerialFixtureOptions } from '../fixtures/serial-fixture.ts';

/*
 * Bad input on the serial line: each case must end in a typed error within its own bound, keep
 * memory bounded, leave nothing hanging, and never put the password in a log. The boxes are local
 * fixtures (socat ptys, a real bash, or a misbehaving far end played by the relay).
 */

const fixtures: SerialFixture[] = [];
const shells: SerialShell[] = [];
afterEach(async () => {
  await Promise.all(shells.splice(0).map((s) => s.close().catch(() => undefined)));
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

async function box(opts: SerialFixtureOptions): Promise<SerialFixture> {
  const f = await startSerialFixture(opts);
  fixtures.push(f);
  return f;
}

function logSink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream }), text: () => text };
}

/** Runs `fn` and reports the largest growth in memory seen while it ran. */
async function peakGrowth<T>(fn: () => Promise<T>): Promise<{ result: T | FieldlinkError; rssMiB: number; ms: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  const started = Date.now();
  let result: T | FieldlinkError;
  try {
    result = await fn();
  } catch (err) {
    result = err as FieldlinkError;
  } finally {
    clearInterval(t);
  }
  return { result, rssMiB: (peak - base) / 2 ** 20, ms: Date.now() - started };
}

describe('serial console faults', { timeout: 120_000 }, () => {
  it('10 MB of random bytes instead of a login prompt: a typed error in time, memory bounded, no password logged', async () => {
    const f = await box({ kind: 'random', randomBytes: 10 * 1024 * 1024 });
    const sink = logSink();
    const { result, rssMiB, ms } = await peakGrowth(() => openSerial({ path: f.path, credentials: { user: 'root', password: f.password }, timeoutMs: 15_000, log: sink.log }));
    expect(result).toBeInstanceOf(FieldlinkError);
    expect(['TIMEOUT', 'AUTH_FAILED', 'PROTOCOL']).toContain((result as FieldlinkError).code);
    expect(ms).toBeLessThan(25_000);
    expect(rssMiB).toBeLessThan(200);
    expect(sink.text()).not.toContain(f.password);
  });

  it('10 MB of random bytes on the console in the middle of a command: PROTOCOL, then the shell works again', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await openSerial({ path: f.path, timeoutMs: 20_000 });
    shells.push(sh);
    const { result, rssMiB, ms } = await peakGrowth(() => sh.exec('head -c 10485760 /dev/urandom >/dev/tty; echo never-trusted', { timeoutMs: 60_000 }));
    expect(result).toMatchObject({ code: 'PROTOCOL' });
    expect(ms).toBeLessThan(70_000);
    expect(rssMiB).toBeLessThan(200);
    const again = await sh.exec('echo recovered', { timeoutMs: 30_000 });
    expect(Buffer.from(again.stdout).toString()).toBe('recovered\n');
  });

  it('a box that never shows a prompt: TIMEOUT at the prompt bound', async () => {
    const f = await box({ kind: 'silent' });
    const started = Date.now();
    await expect(openSerial({ path: f.path, credentials: { user: 'root', password: 'x' }, promptTimeoutMs: 4000 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(3500);
    expect(took).toBeLessThan(15_000);
    // The port was released: it can be opened (and time out) again.
    await expect(openSerial({ path: f.path, promptTimeoutMs: 1000 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a console flooding output without end: TIMEOUT, memory bounded', async () => {
    const f = await box({ kind: 'flood' });
    const { result, rssMiB, ms } = await peakGrowth(() => openSerial({ path: f.path, credentials: { user: 'root', password: 'x' }, promptTimeoutMs: 8000 }));
    expect(result).toMatchObject({ code: 'TIMEOUT' });
    expect(ms).toBeLessThan(20_000);
    expect(rssMiB).toBeLessThan(200);
  });

  it('a command flooding its output: the tail is kept, the timeout stops it, the shell works after', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await openSerial({ path: f.path, timeoutMs: 20_000 });
    shells.push(sh);
    const { result, rssMiB } = await peakGrowth(() => sh.exec('yes flood', { timeoutMs: 4000, maxOutputBytes: 64 * 1024 }));
    expect(result).toMatchObject({ code: 'TIMEOUT' });
    expect(rssMiB).toBeLessThan(200);
    expect((await sh.exec('echo calm')).code).toBe(0);
  });

  it('a wrong password: AUTH_FAILED before the prompt bound, and the password is in no log', async () => {
    const f = await box({ kind: 'login' });
    const sink = logSink();
    const wrong = `not-${f.password}`;
    const started = Date.now();
    await expect(openSerial({ path: f.path, credentials: { user: f.user, password: wrong }, promptTimeoutMs: 30_000, log: sink.log })).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(sink.text()).not.toContain(wrong);
  });

  it('no credentials at a login prompt: AUTH_FAILED that says so, not a hang', async () => {
    const f = await box({ kind: 'login' });
    await expect(openSerial({ path: f.path, promptTimeoutMs: 20_000 })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('cancelling while waiting for a prompt: ABORTED at once, and the port is free again', async () => {
    const f = await box({ kind: 'silent' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const started = Date.now();
    await expect(openSerial({ path: f.path, signal: ac.signal, promptTimeoutMs: 60_000 })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(openSerial({ path: f.path, promptTimeoutMs: 1000 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a device that does not exist: NOT_FOUND', async () => {
    await expect(openSerial({ path: `/dev/serial/by-id/nothing-${randomBytes(4).toString('hex')}` })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
