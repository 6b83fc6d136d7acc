import { describe, expect, it } from 'vitest';
import type { Box } from '../../../shared/model.ts';
import { parseTarget, serialByIdDirs, serialDeviceProblem, serialPathProblem } from './target.ts';

const box = (over: Partial<Box>): Box => ({
  id: 'SN1',
  hostname: 'edge-1',
  serial: 'SN1',
  model: null,
  vendor: null,
  arch: null,
  addresses: ['10.77.0.11'],
  consolePath: '/dev/serial/by-id/usb-FTDI-SN1',
  reach: 'lan',
  state: 'new',
  trust: 'unknown',
  health: 'unknown',
  k3sVersion: null,
  conflict: null,
  firstSeen: '',
  lastSeen: '',
  ...over,
});
const none = () => undefined;

describe('targets', () => {
  it('reads ssh:// with user and port, IPv6 too', () => {
    expect(parseTarget('ssh://root@10.0.0.5:2222', none)).toMatchObject({ kind: 'ssh', user: 'root', host: '10.0.0.5', port: 2222 });
    expect(parseTarget('ssh://[fe80::1]', none)).toMatchObject({ kind: 'ssh', host: 'fe80::1', port: undefined });
  });

  it('reads serial: with a baud rate, and refuses a strange one', () => {
    expect(parseTarget('serial:/dev/ttyUSB0?baud=9600', none)).toMatchObject({ kind: 'serial', path: '/dev/ttyUSB0', baud: 9600 });
    expect(parseTarget('serial:/dev/serial/by-id/usb-FTDI-SN1', none)).toMatchObject({ kind: 'serial', path: '/dev/serial/by-id/usb-FTDI-SN1', baud: 115200 });
    expect(() => parseTarget('serial:/dev/ttyUSB0?baud=12345', none)).toThrowError(/Unsupported baud/);
    expect(() => parseTarget('serial:/dev/ttyS1?parity=odd', none)).toThrowError(/Unknown serial option/);
  });

  it('goes over the LAN to a box with an address, and over its cable otherwise', () => {
    expect(parseTarget('edge-1', () => box({}))).toMatchObject({ kind: 'ssh', host: '10.77.0.11', boxId: 'SN1' });
    expect(parseTarget('edge-1', () => box({ reach: 'cable', addresses: [] }))).toMatchObject({ kind: 'serial', path: '/dev/serial/by-id/usb-FTDI-SN1' });
    expect(() => parseTarget('edge-1', () => box({ reach: 'none', addresses: [], consolePath: null }))).toThrowError(/no known address or cable/);
  });

  it('takes user@host for a host the inventory does not know, as ssh does', () => {
    expect(parseTarget('admin@10.1.2.3', none)).toMatchObject({ kind: 'ssh', user: 'admin', host: '10.1.2.3' });
  });

  it('refuses a password in the URL and shell metacharacters', () => {
    expect(() => parseTarget('ssh://root:pw@host', none)).toThrowError(/no password/);
    expect(() => parseTarget('host;rm -rf /', none)).toThrowError(/not a box/);
  });

  it('opens as a serial port only terminal devices, by-id links and COMn, whatever the front door', () => {
    const dirs = ['/dev/serial/by-id', '/run/fieldlink-lab/serial/by-id'];
    for (const ok of [
      '/dev/ttyUSB0',
      '/dev/ttyACM1',
      '/dev/ttyS0',
      '/dev/tty.usbserial-A1',
      '/dev/cu.usbserial-A1',
      '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0',
      '/run/fieldlink-lab/serial/by-id/usb-FTDI_X-if00-port0',
    ]) {
      expect(serialPathProblem(ok, { platform: 'linux', byIdDirs: dirs })).toBeNull();
    }
    for (const bad of [
      '/etc/passwd',
      '/dev/sda',
      '/dev/mem',
      '/dev/tty', // the CLI's own controlling terminal
      '/dev/pts/3',
      'ttyUSB0',
      'COM3',
      '/dev/serial/by-id/../../../etc/passwd',
      '/dev/serial/by-id/../../sda',
      '/dev/ttyUSB0/../../etc/passwd',
      '/dev/tty../../etc/passwd',
      '/dev//ttyUSB0',
      '/dev/serial/by-id/',
      '/dev/serial/by-id/sub/usb-x',
      '/run/fieldlink-lab/serial/by-id/../../../../etc/shadow',
      '/tmp/usb-FTDI-if00-port0',
      '/dev/ttyUSB0\0',
    ]) {
      expect(serialPathProblem(bad, { platform: 'linux', byIdDirs: dirs }), bad).toMatch(/not a serial port/);
    }
    expect(serialPathProblem('COM3', { platform: 'win32' })).toBeNull();
    expect(serialPathProblem('\\\\.\\COM12', { platform: 'win32' })).toBeNull();
    expect(serialPathProblem('C:\\Windows\\win.ini', { platform: 'win32' })).toMatch(/not a serial port/);
    expect(serialPathProblem('COM0', { platform: 'win32' })).toMatch(/not a serial port/);
  });

  it('refuses a serial target outside the rule as BAD_REQUEST at parse time', () => {
    for (const t of ['serial:/etc/passwd', 'serial:/dev/serial/by-id/../../../etc/passwd', 'serial:relative/tty']) {
      expect(() => parseTarget(t, none)).toThrowError(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/not a serial port/) }));
    }
  });

  it('takes extra by-id folders from FIELDLINK_SERIAL_DIRS only, absolute ones', () => {
    expect(serialByIdDirs({})).toEqual(['/dev/serial/by-id']);
    expect(serialByIdDirs({ FIELDLINK_SERIAL_DIRS: '/run/fieldlink-lab/serial/by-id/:relative:/tmp/x' })).toEqual([
      '/dev/serial/by-id',
      '/run/fieldlink-lab/serial/by-id',
      '/tmp/x',
    ]);
  });

  it('accepts only a terminal character device as where a serial path leads', () => {
    expect(serialDeviceProblem('/dev/serial/by-id/x', '/dev/ttyUSB0', true)).toBeNull();
    expect(serialDeviceProblem('/run/fieldlink-lab/serial/by-id/x', '/dev/pts/4', true)).toBeNull();
    expect(serialDeviceProblem('/dev/serial/by-id/x', '/etc/passwd', false)).toMatch(/not a serial device/);
    expect(serialDeviceProblem('/dev/serial/by-id/x', '/dev/mem', true)).toMatch(/not a serial device/);
    expect(serialDeviceProblem('/dev/serial/by-id/x', '/dev/ttyUSB0', false)).toMatch(/not a serial device/);
  });
});
