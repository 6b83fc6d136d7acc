import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { startSerialFixture, type SerialFixture, type SerialFixtureOptions } from '../../../../test/fixtures/serial-fixture.ts';
import { createLogger } from '../../log/index.ts';
import { openSerial, parseSerialTarget, type SerialShell } from './index.ts';

/*
 * The serial shell against a real bash on a real pty (socat), behind a getty-like login. No lab or
 * root needed: the box is a process on this machine, which also lets a test look for the very
 * process a timeout was meant to stop.
 */

const fixtures: SerialFixture[] = [];
const shells: SerialShell[] = [];
afterEach(async () => {
  await Promise.all(shells.splice(0).map((s) => s.close().catch(() => undefined)));
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

async function box(opts: SerialFixtureOptions = {}): Promise<SerialFixture> {
  const f = await startSerialFixture(opts);
  fixtures.push(f);
  return f;
}

function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream }), text: () => lines.join('') };
}

async function open(f: SerialFixture, extra: Partial<Parameters<typeof openSerial>[0]> = {}): Promise<SerialShell> {
  const sh = await openSerial({ path: f.path, credentials: { user: f.user, password: f.password }, timeoutMs: 30_000, ...extra });
  shells.push(sh);
  return sh;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function processesMatching(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

describe('serial shell login', { timeout: 60_000 }, () => {
  it('logs in at a login prompt and never writes the password to its log', async () => {
    const f = await box({ kind: 'login' });
    const sink = logSink();
    const sh = await open(f, { log: sink.log });
    expect(sh.kind).toBe('serial');
    expect(sh.target).toBe(f.path);
    const r = await sh.exec('id -u; hostname >/dev/null; echo ok');
    expect(text(r.stdout)).toBe('0\nok\n');
    expect(sink.text()).toContain('serial login');
    expect(sink.text()).not.toContain(f.password);
  });

  it('answers "Please press Enter to activate this console" and then logs in', async () => {
    const f = await box({ kind: 'askfirst', bootMessages: true });
    const sh = await open(f);
    expect(text((await sh.exec('echo activated')).stdout)).toBe('activated\n');
  });

  it('interrupts a program still running on an already logged-in console', async () => {
    const f = await box({ kind: 'shell' });
    // Someone left a long command running at the console before Fieldlink came along.
    const port = new SerialPort({ path: f.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    await new Promise<void>((res) => port.write('sleep 4242\r', () => res()));
    await new Promise((r) => setTimeout(r, 500));
    await new Promise<void>((res) => port.close(() => res()));
    expect(processesMatching('^sleep 4242$')).not.toBe('');

    const sh = await open(f, { credentials: undefined });
    expect(text((await sh.exec('echo back')).stdout)).toBe('back\n');
    expect(processesMatching('^sleep 4242$')).toBe('');
  });

  it('cancels a ZMODEM receiver left waiting with the tty raw, where ^C is only data', async () => {
    const f = await box({ kind: 'shell' });
    const port = new SerialPort({ path: f.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    await new Promise<void>((res) => port.write(`cd ${f.home} && rz -b -y\r`, () => res()));
    await new Promise((r) => setTimeout(r, 700));
    await new Promise<void>((res) => port.close(() => res()));
    expect(processesMatching('^rz -b -y$')).not.toBe('');

    const sh = await open(f, { credentials: undefined });
    expect(text((await sh.exec('echo past-rz')).stdout)).toBe('past-rz\n');
    expect(processesMatching('^rz -b -y$')).toBe('');
  });

  it('fails with AUTH_FAILED on a wrong password, without the password in the log', async () => {
    const f = await box({ kind: 'login' });
    const sink = logSink();
    const wrong = `wrong-${randomBytes(4).toString('hex')}`;
    await expect(openSerial({ path: f.path, credentials: { user: f.user, password: wrong }, timeoutMs: 20_000, log: sink.log })).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
    expect(sink.text()).not.toContain(wrong);
    // The port is released after a failed open.
    shells.push(await open(f));
  });

  it('waits for a box that is slow after the password: the answered prompt is not asked again', async () => {
    // The line "Password: " is completed by the box's newline after the password; that line is the
    // prompt just answered, not a new one. Seen on the lab's consoles under load.
    const f = await box({ kind: 'login', loginDelaySeconds: 1 });
    const sh = await open(f);
    expect(text((await sh.exec('echo slow-login')).stdout)).toBe('slow-login\n');
    // A wrong password on the same slow box is refused for what it is ("Login incorrect").
    const g = await box({ kind: 'login', loginDelaySeconds: 1 });
    await expect(openSerial({ path: g.path, credentials: { user: g.user, password: 'wrong' }, timeoutMs: 20_000 })).rejects.toThrow(/refused the user name or password/);
  });

  it('does not spend the password at a password prompt it did not ask for', async () => {
    // util-linux login retrying through PAM takes the wake-up Enter as an empty user name and asks
    // for its password: the label password sent there is spent on nobody and refused.
    const f = await box({ kind: 'login', emptyUserAsksPassword: true });
    const sink = logSink();
    const sh = await open(f, { log: sink.log });
    expect(text((await sh.exec('echo past-stray-prompt')).stdout)).toBe('past-stray-prompt\n');
    expect(sink.text()).toContain('leave-password-prompt');
  });

  it('refuses a second opener of the same port, in this process and from another program', async () => {
    const f = await box({ kind: 'shell' });
    await open(f, { credentials: undefined });
    await expect(openSerial({ path: f.path })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('reports the port as busy when another program holds its lock', async () => {
    const f = await box({ kind: 'shell' });
    const holder = spawn('flock', ['--nonblock', fs.realpathSync(f.path), 'sleep', '30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      await expect(openSerial({ path: f.path, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'CONFLICT' });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('fails clearly on a box without mktemp instead of using fixed names in /tmp', async () => {
    const f = await box({ kind: 'shell' });
    // The box's shell has no working mktemp (as on a minimal image).
    const port = new SerialPort({ path: f.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    await new Promise<void>((res) => port.write('mktemp() { return 1; }\r', () => res()));
    await new Promise((r) => setTimeout(r, 300));
    await new Promise<void>((res) => port.close(() => res()));

    const err = await openSerial({ path: f.path, timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REMOTE_FAILED', message: expect.stringMatching(/mktemp/) });
    // The port was given back: after mktemp is back, the same console works.
    const again = new SerialPort({ path: f.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => again.open((e) => (e ? rej(e) : res())));
    await new Promise<void>((res) => again.write('unset -f mktemp\r', () => res()));
    await new Promise((r) => setTimeout(r, 300));
    await new Promise<void>((res) => again.close(() => res()));
    const sh = await open(f, { credentials: undefined });
    expect(text((await sh.exec('echo "$__fld"; ls -ld "$__fld" | cut -c1-10', { stdin: 'x' })).stdout)).toMatch(/^\/tmp\/fl\.\w{10}\ndrwx------\n$/);
  });

  it('parses serial targets and refuses other kinds', () => {
    expect(parseSerialTarget('serial:/dev/ttyUSB0?baud=9600')).toEqual({ path: '/dev/ttyUSB0', baud: 9600 });
    expect(parseSerialTarget('serial:/dev/serial/by-id/usb-X')).toEqual({ path: '/dev/serial/by-id/usb-X', baud: 115200 });
    // COMn is a Windows name; elsewhere it would be a file in the working folder.
    if (process.platform !== 'win32') expect(() => parseSerialTarget('serial:COM3')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => parseSerialTarget('ssh://root@10.0.0.1')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => parseSerialTarget('serial:/dev/ttyUSB0?baud=123')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('serial exec', { timeout: 60_000 }, () => {
  it('returns exit codes, separate stdout and stderr, and feeds stdin', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const r = await sh.exec('echo out; echo err >&2; exit 7');
    expect(r).toMatchObject({ code: 7, signal: null, truncated: false });
    expect(text(r.stdout)).toBe('out\n');
    expect(text(r.stderr)).toBe('err\n');
    const input = randomBytes(50_000);
    const r2 = await sh.exec('sha256sum', { stdin: input });
    expect(text(r2.stdout)).toBe(`${sha(input)}  -\n`);
    // A syntax error or an exit cannot end or move the login shell: each command is its own.
    expect((await sh.exec('echo "unclosed')).code).not.toBe(0);
    await sh.exec('cd / && exit 0');
    expect(text((await sh.exec('pwd')).stdout)).toBe(`${f.home}\n`);
  });

  it('runs a command longer than a console line (sent as a heredoc)', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const word = 'x'.repeat(20_000);
    const r = await sh.exec(`printf %s '${word}' | wc -c; echo "it's done"`);
    expect(text(r.stdout)).toBe(`20000\nit's done\n`);
  });

  it('returns output byte for byte while kernel lines land in the middle of it', async () => {
    const f = await box({ kind: 'shell', noiseInChunks: true, noiseEveryMs: 5 });
    const sh = await open(f, { credentials: undefined });
    const cmd = 'seq 1 20000; printf "\\r\\033[31mred\\000\\377"; echo "[    1.000000] a kernel-looking line the command itself printed"';
    const expected = execFileSync('bash', ['-c', cmd]);
    for (let i = 0; i < 3; i++) {
      const r = await sh.exec(cmd);
      expect(r.code).toBe(0);
      expect(Buffer.compare(Buffer.from(r.stdout), expected)).toBe(0);
    }
    expect(f.noiseCount()).toBeGreaterThan(20);
  });

  it('keeps only the tail of output over maxOutputBytes and says so', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const seen: number[] = [];
    const r = await sh.exec('seq 1 100000', { maxOutputBytes: 1000, onStdout: (c) => seen.push(c.byteLength) });
    expect(r.truncated).toBe(true);
    expect(r.stdout.byteLength).toBe(1000);
    expect(text(r.stdout).endsWith('99999\n100000\n')).toBe(true);
    expect(seen.reduce((a, b) => a + b, 0)).toBeGreaterThan(500_000);
  });

  it('stops the command on the box when it times out, and the shell works after', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    await expect(sh.exec('sleep 4343', { timeoutMs: 1500 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(processesMatching('^sleep 4343$')).toBe('');
    expect(text((await sh.exec('echo alive')).stdout)).toBe('alive\n');
  });

  it('stops the command on the box when cancelled', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 700);
    await expect(sh.exec('sleep 4444', { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(processesMatching('^sleep 4444$')).toBe('');
    expect((await sh.exec('true')).code).toBe(0);
  });

  it('never puts the command text in an error: timeout and a pulled cable with a token on the line', async () => {
    const secret = 'K10f00dfeedfacecafe::server:3c9a7d5e1b';
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const shown = (e: unknown) => JSON.stringify({ message: (e as Error).message, details: (e as { details?: unknown }).details });
    const timedOut = await sh.exec(`sleep 30; echo --token ${secret}`, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ code: 'TIMEOUT' });
    expect(shown(timedOut)).not.toContain(secret);
    const running = sh.exec(`sleep 30; echo --token ${secret}`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    await f.unplug();
    const dropped = await running;
    expect(dropped).toMatchObject({ code: 'LINK_DOWN' });
    expect(shown(dropped)).not.toContain(secret);
  });

  it('fails with LINK_DOWN at once when the cable is pulled mid-command, and works after replug', async () => {
    const f = await box({ kind: 'login' });
    const sh = await open(f);
    const running = sh.exec('sleep 4545; echo done', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    const pulledAt = Date.now();
    await f.unplug();
    await expect(running).rejects.toMatchObject({ code: 'LINK_DOWN' });
    expect(Date.now() - pulledAt).toBeLessThan(5000);
    expect(sh.connected).toBe(false);
    await expect(sh.exec('true')).rejects.toMatchObject({ code: 'LINK_DOWN' });
    await f.plug();
    const again = await open(f);
    expect(text((await again.exec('echo replugged')).stdout)).toBe('replugged\n');
  });
});

describe('serial transfer', { timeout: 120_000 }, () => {
  it('puts and gets binary files with sha256 checks through kernel noise, atomically', async () => {
    const f = await box({ kind: 'shell', noiseInChunks: true });
    const sh = await open(f, { credentials: undefined });
    const data = randomBytes(100_000);
    const target = path.join(f.home, 'sub dir', "it's.bin");
    await sh.exec(`mkdir -p '${path.dirname(target)}'`);
    const progress: number[] = [];
    await sh.put(target, data, 0o600, { onProgress: (d) => progress.push(d) });
    expect(sha(fs.readFileSync(target))).toBe(sha(data));
    expect((fs.statSync(target).mode & 0o777).toString(8)).toBe('600');
    expect(fs.readdirSync(path.dirname(target))).toEqual(["it's.bin"]);
    expect(progress.at(-1)).toBe(data.byteLength);
    const back = await sh.get(target);
    expect(Buffer.compare(Buffer.from(back), data)).toBe(0);
    expect((await sh.get(path.join(f.home, 'nothing')).catch((e) => e)).code).toBe('NOT_FOUND');
    await expect(sh.put('relative/path', data)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(sh.get('/tmp/a\nb')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await sh.put(path.join(f.home, 'empty'), new Uint8Array(0));
    expect((await sh.get(path.join(f.home, 'empty'))).byteLength).toBe(0);
  });

  it('resumes an upload from what the box already holds after the cable was pulled', async () => {
    const f = await box({ kind: 'shell', toBoxBytesPerSecond: 40_000 });
    const sh = await open(f, { credentials: undefined });
    const data = randomBytes(256 * 1024);
    const target = path.join(f.home, 'resume.bin');
    let done = 0;
    const upload = sh.put(target, data, 0o644, { onProgress: (d) => (done = d) });
    const cut = (async () => {
      while (done < 64 * 1024) await new Promise((r) => setTimeout(r, 50));
      await f.unplug();
    })();
    await expect(upload).rejects.toMatchObject({ code: 'LINK_DOWN' });
    await cut;
    const held = done;
    expect(held).toBeGreaterThan(0);
    await f.plug();
    const again = await open(f, { credentials: undefined, timeoutMs: 60_000 });
    const starts: number[] = [];
    await again.put(target, data, 0o644, { onProgress: (d) => starts.push(d) });
    expect(starts[0]).toBeGreaterThanOrEqual(held - 16 * 1024);
    expect(starts[0]).toBeGreaterThan(0);
    expect(sha(fs.readFileSync(target))).toBe(sha(data));
  });

  it('writes the upload through a part file nobody could plant: links at guessable names and files of other users are left alone', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const data = randomBytes(40_000);
    const target = path.join(f.home, 'k3s');
    const victim = path.join(f.home, 'victim');
    fs.writeFileSync(victim, 'precious');
    const digest16 = sha(data).slice(0, 16);
    // What a box-side attacker can predict: the old content-derived name, and names of the new shape.
    const planted = [path.join(f.home, `.k3s.fl-${digest16}.part`), path.join(f.home, `.k3s.fl-${digest16}.part.${'0'.repeat(16)}`)];
    for (const p of planted) fs.symlinkSync(victim, p);
    // A part file of the right shape holding the right prefix, but not ours: never continued or touched.
    const foreign = path.join(f.home, `.k3s.fl-${digest16}.part.${'1'.repeat(16)}`);
    fs.writeFileSync(foreign, data.subarray(0, 16 * 1024));
    fs.chownSync(foreign, 65534, 65534);

    const starts: number[] = [];
    await sh.put(target, data, 0o755, { onProgress: (d) => starts.push(d) });
    expect(sha(fs.readFileSync(target))).toBe(sha(data));
    expect(fs.lstatSync(target).isSymbolicLink()).toBe(false);
    expect(starts[0]).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    for (const p of planted) expect(fs.readlinkSync(p)).toBe(victim);
    expect(Buffer.compare(fs.readFileSync(foreign), data.subarray(0, 16 * 1024))).toBe(0);
    // Nothing of ours is left beside the target: the part file was renamed into place.
    expect(fs.readdirSync(f.home).sort()).toEqual(['k3s', 'victim', ...[...planted, foreign].map((p) => path.basename(p))].sort());
  });

  it('waits longer, without changing encoding, when the line stalls in the middle of a chunk', async () => {
    const f = await box({ kind: 'shell', stallToBox: { afterBytes: 40_000, ms: 7000 } });
    const sink = logSink();
    const sh = await open(f, { credentials: undefined, log: sink.log });
    const data = randomBytes(100_000);
    const target = path.join(f.home, 'stalled.bin');
    await sh.put(target, data);
    expect(sha(fs.readFileSync(target))).toBe(sha(data));
    expect(sink.text()).toContain('arrived short');
    expect(sink.text()).not.toContain('falling back to base64');
  });

  it('falls back to base64 on a line that is not 8-bit clean', async () => {
    const f = await box({ kind: 'shell', sevenBitToBox: true });
    const sink = logSink();
    const sh = await open(f, { credentials: undefined, log: sink.log });
    const data = randomBytes(40_000);
    const target = path.join(f.home, 'seven.bin');
    await sh.put(target, data);
    expect(sha(fs.readFileSync(target))).toBe(sha(data));
    expect(sink.text()).toContain('falling back to base64');
  });
});

describe('serial terminal', { timeout: 60_000 }, () => {
  it('hands the console to a person with echo back, and takes it back for commands', async () => {
    const f = await box({ kind: 'shell' });
    const sh = await open(f, { credentials: undefined });
    const term = await sh.openTerminal();
    let seen = '';
    term.onData((c) => (seen += Buffer.from(c).toString('latin1')));
    await expect(sh.exec('true')).rejects.toMatchObject({ code: 'CONFLICT' });
    await term.write('echo typed-by-hand\r');
    const until = Date.now() + 10_000;
    while (!/echo typed-by-hand[\s\S]*typed-by-hand/.test(seen) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toMatch(/echo typed-by-hand[\s\S]*typed-by-hand/);
    await term.detach();
    expect(text((await sh.exec('echo framed')).stdout)).toBe('framed\n');
  });
});
