import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveIdentity } from './link.ts';

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
});
