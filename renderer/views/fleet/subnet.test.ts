import { describe, expect, it } from 'vitest';
import { parseAddress, parseCidr } from './subnet.ts';

describe('subnet to scan', () => {
  it('normalises the network and counts the hosts', () => {
    expect(parseCidr('192.168.1.77/24')).toEqual({ network: '192.168.1.0', prefix: 24, hosts: 254 });
    expect(parseCidr(' 10.77.0.0/16 ')).toMatchObject({ hosts: 65534 });
  });
  it('refuses typos and sweeps bigger than a /16 with a typed error', () => {
    for (const bad of ['192.168.1.0', '300.1.1.1/24', '10.0.0.0/8', 'abc', '1.2.3.4/33']) expect(() => parseCidr(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('address to add', () => {
  it('reads hosts, ports and IPv6', () => {
    expect(parseAddress('192.168.1.20')).toEqual({ host: '192.168.1.20', port: 22 });
    expect(parseAddress('box-07.local:2222')).toEqual({ host: 'box-07.local', port: 2222 });
    expect(parseAddress('[fe80::1]:22')).toEqual({ host: 'fe80::1', port: 22 });
    expect(parseAddress('fe80::1')).toEqual({ host: 'fe80::1', port: 22 });
  });
  it('refuses what is not an address', () => {
    for (const bad of ['', 'a b', 'host:99999', '<script>', 'x'.repeat(300)]) expect(() => parseAddress(bad)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
