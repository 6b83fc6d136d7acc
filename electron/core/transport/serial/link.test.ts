import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveIdentity, SerialLink } from './link.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-serial-id-'));
  dirs.push(d);
  return d;
}

describe('serial device identity', () => {
  it('reports the stable by-id name for a device opened by its kernel name', () => {
    const root = tmp();
    const dev = path.join(root, 'ttyUSB7');
    fs.writeFileSync(dev, '');
    const byId = path.join(root, 'by-id');
    fs.mkdirSync(byId);
    fs.symlinkSync(dev, path.join(byId, 'usb-FTDI_FT232R_USB_UART_A1B2C3-if00-port0'));
    fs.symlinkSync(path.join(root, 'gone'), path.join(byId, 'usb-dangling'));
    expect(resolveIdentity(dev, [byId])).toEqual({ target: path.join(byId, 'usb-FTDI_FT232R_USB_UART_A1B2C3-if00-port0'), device: dev });
  });

  it('keeps a by-id path as the target and opens what it points at now', () => {
    const root = tmp();
    const byId = path.join(root, 'by-id');
    fs.mkdirSync(byId);
    fs.writeFileSync(path.join(root, 'pts9'), '');
    const link = path.join(byId, 'usb-X');
    fs.symlinkSync(path.join(root, 'pts9'), link);
    expect(resolveIdentity(link, [byId])).toEqual({ target: link, device: path.join(root, 'pts9') });
  });

  it('says NOT_FOUND for a device that is not there', () => {
    expect(() => resolveIdentity('/dev/serial/by-id/not-plugged-in', [])).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('refuses, at open, paths outside the serial rule and links that lead out of /dev', async () => {
    const byId = tmp();
    const before = process.env.FIELDLINK_SERIAL_DIRS;
    process.env.FIELDLINK_SERIAL_DIRS = byId;
    try {
      const secret = path.join(byId, '..', 'secret');
      fs.writeFileSync(path.join(tmp(), 'x'), '');
      fs.symlinkSync('/etc/passwd', path.join(byId, 'usb-evil-passwd'));
      fs.symlinkSync('/dev/null', path.join(byId, 'usb-evil-null'));
      fs.symlinkSync(os.tmpdir(), path.join(byId, 'usb-evil-dir'));
      for (const p of ['/etc/passwd', `${byId}/../../etc/passwd`, secret, 'relative-tty']) {
        await expect(SerialLink.open(p, 115200)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/not a serial port/) });
      }
      for (const name of ['usb-evil-passwd', 'usb-evil-null', 'usb-evil-dir']) {
        await expect(SerialLink.open(path.join(byId, name), 115200)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/not a serial device/) });
      }
      // Without the folder named as a by-id folder, its links are not serial ports at all.
      delete process.env.FIELDLINK_SERIAL_DIRS;
      await expect(SerialLink.open(path.join(byId, 'usb-evil-null'), 115200)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/not a serial port/) });
    } finally {
      if (before === undefined) delete process.env.FIELDLINK_SERIAL_DIRS;
      else process.env.FIELDLINK_SERIAL_DIRS = before;
    }
  });
});
