import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { lab, labStatus, until } from './helpers.ts';
import { Cable } from './serial.ts';

describe('serial console over the lab pty', () => {
  beforeAll(async () => {
    // Kernel chatter is on by default; these checks compare bytes exactly, so it goes quiet here.
    expect((await lab('noise', '0')).code).toBe(0);
  });
  afterAll(async () => {
    await lab('noise', '20');
  });

  it('shows a login prompt, logs root in with the label password and runs commands in the box', async () => {
    const s = await labStatus();
    const b = s.boxes[1]!;
    expect(fs.lstatSync(b.console).isSymbolicLink()).toBe(true);
    expect(b.console).toMatch(/\/serial\/by-id\/usb-FTDI_FT232R_USB_UART_.+-if00-port0$/);
    const c = await Cable.open(b.console, b.baud);
    try {
      await c.login(b.password);
      const out = await c.run('hostname; cat /etc/machine-id; tty');
      expect(out).toContain(b.hostname);
      expect(out).toContain(b.machineId);
      expect(out).toMatch(/\/dev\/pts\/\d+/);
      c.clear();
      c.write('exit\r');
      await c.waitFor(/login: $/);
    } finally {
      await c.close();
    }
  });

  it('is throttled to the baud rate: 8000 bytes take at least 8000 / (baud/10) seconds', async () => {
    const s = await labStatus();
    const b = s.boxes[1]!;
    const c = await Cable.open(b.console, b.baud);
    try {
      await c.login(b.password);
      const t0 = performance.now();
      const out = await c.run("head -c 8000 /dev/zero | tr '\\0' x; echo", 60_000);
      const secs = (performance.now() - t0) / 1000;
      expect(out.split('x').length - 1).toBe(8000);
      // A lower bound only: a loaded machine may be slower, never faster than the line.
      expect(secs).toBeGreaterThanOrEqual((8000 / (b.baud / 10)) * 0.95);
    } finally {
      await c.close();
    }
  });

  it('is 8-bit clean both ways once the box tty is raw', async () => {
    const s = await labStatus();
    const b = s.boxes[1]!;
    const c = await Cable.open(b.console, b.baud);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    try {
      await c.login(b.password);
      // Box to technician: every byte value, raw.
      await c.run('for i in $(seq 0 255); do printf "\\\\$(printf %03o $i)"; done > /tmp/all; wc -c < /tmp/all');
      c.clear();
      c.write('stty raw -echo; cat /tmp/all; sleep 1; stty sane; echo; echo DONE\r');
      await c.waitFor(/DONE\r\nFLPROMPT# $/, 30_000);
      expect(c.bytes.includes(all)).toBe(true);
      // Technician to box: every byte value, counted and checked on the box.
      c.clear();
      c.write("stty raw -echo; head -c 256 > /tmp/got; stty sane; sha256sum /tmp/got /tmp/all | awk '{print $1}' | uniq | wc -l\r");
      await new Promise((r) => setTimeout(r, 1000));
      c.write(all);
      const out = await c.waitFor(/\n1\r?\n.*FLPROMPT# $/s, 30_000);
      expect(out).toMatch(/\n1\r?\n/);
    } finally {
      await c.close();
    }
  });

  it('unplug removes the device and plug brings it back, with a working login', async () => {
    const s = await labStatus();
    const b = s.boxes[1]!;
    expect((await lab('unplug', b.name)).code).toBe(0);
    await until(async () => !fs.existsSync(b.console), 10_000, 'console device still there after unplug');
    expect((await labStatus()).boxes[1]!.consolePlugged).toBe(false);
    expect((await lab('plug', b.name)).code).toBe(0);
    await until(async () => fs.existsSync(b.console), 10_000, 'console device did not come back');
    const c = await Cable.open(b.console, b.baud);
    try {
      await c.login(b.password);
      expect(await c.run('echo $((6*7))')).toContain('42');
    } finally {
      await c.close();
    }
  });

  it('prints kernel-style messages between other output when noise is on', async () => {
    const s = await labStatus();
    const b = s.boxes[1]!;
    expect((await lab('noise', '0.5')).code).toBe(0);
    const c = await Cable.open(b.console, b.baud);
    try {
      await c.waitFor(/\[\s*\d+\.\d{6}\] \S/, 30_000);
    } finally {
      await c.close();
      await lab('noise', '0');
    }
  });
});
