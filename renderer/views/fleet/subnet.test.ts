import { describe, expect, it } from 'vitest';
import { parseAddress } from './subnet.ts';

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
