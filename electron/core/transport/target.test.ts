import { describe, expect, it } from 'vitest';
import type { Box } from '../../../shared/model.ts';
import { parseTarget } from './target.ts';

const box = (over: Partial<Box>): Box => ({
  id: 'SN1', hostname: 'edge-1', serial: 'SN1', model: null, vendor: null, arch: null, addresses: ['10.77.0.11'],
  consolePath: '/dev/serial/by-id/usb-FTDI-SN1', reach: 'lan', state: 'new', trust: 'unknown', health: 'unknown',
  k3sVersion: null, firstSeen: '', lastSeen: '', ...over,
});
const none = () => undefined;

describe('targets', () => {
  it('reads ssh:// with user and port, IPv6 too', () => {
    expect(parseTarget('ssh://root@10.0.0.5:2222', none)).toMatchObject({ kind: 'ssh', user: 'root', host: '10.0.0.5', port: 2222 });
    expect(parseTarget('ssh://[fe80::1]', none)).toMatchObject({ kind: 'ssh', host: 'fe80::1', port: undefined });
  });

  it('reads serial: with a baud rate, and refuses a strange one', () => {
    expect(parseTarget('serial:/dev/ttyUSB0?baud=9600', none)).toMatchObject({ kind: 'serial', path: '/dev/ttyUSB0', baud: 9600 });
    expect(parseTarget('serial:COM3', none)).toMatchObject({ kind: 'serial', path: 'COM3', baud: 115200 });
    expect(() => parseTarget('serial:/dev/ttyUSB0?baud=12345', none)).toThrowError(/Unsupported baud/);
    expect(() => parseTarget('serial:/dev/x?parity=odd', none)).toThrowError(/Unknown serial option/);
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
});
