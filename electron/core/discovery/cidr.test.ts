import { describe, expect, it } from 'vitest';
import { checkSweepRange, sweepAddresses } from './cidr.ts';

const refused = (text: string, force?: boolean) => {
  try {
    checkSweepRange(text, { force });
  } catch (err) {
    return err as { code: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error(`${text} was accepted`);
};

describe('the subnet a sweep may touch', () => {
  it('takes a /24, skips its network and broadcast addresses, and counts what it will try', () => {
    expect(checkSweepRange('10.77.0.0/24')).toEqual({
      cidr: '10.77.0.0/24',
      network: '10.77.0.0',
      prefix: 24,
      count: 254,
      first: '10.77.0.1',
      last: '10.77.0.254',
      normalised: false,
      forced: false,
    });
    expect([...sweepAddresses(checkSweepRange('192.168.1.0/30'))]).toEqual(['192.168.1.1', '192.168.1.2']);
  });

  it('normalises an address with host bits to its network', () => {
    expect(checkSweepRange(' 192.168.1.77/24 ')).toMatchObject({ cidr: '192.168.1.0/24', normalised: true, count: 254 });
  });

  it('takes a /16 without force', () => {
    expect(checkSweepRange('10.77.0.0/16')).toMatchObject({ count: 65534, forced: false, first: '10.77.0.1', last: '10.77.255.254' });
  });

  it('refuses a /8 without force, saying how big it is and how to force it', () => {
    const e = refused('10.0.0.0/8');
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/16,777,216 addresses.*--force/);
    expect(e.details).toMatchObject({ needsForce: true });
    expect(refused('10.0.0.0/15').code).toBe('BAD_REQUEST');
  });

  it('takes a forced /8 but never anything bigger, forced or not', () => {
    expect(checkSweepRange('10.0.0.0/8', { force: true })).toMatchObject({ count: 16777214, forced: true });
    expect(refused('10.0.0.0/7', true).message).toMatch(/never scans more than a \/8/);
    expect(refused('0.0.0.0/0', true).code).toBe('BAD_REQUEST');
  });

  it('refuses ranges that are not hosts: 0/8, multicast, reserved and broadcast', () => {
    for (const bad of ['0.0.0.0/24', '224.0.0.0/24', '239.255.255.0/24', '255.255.255.255/32', '240.0.0.0/16']) expect(refused(bad).message, bad).toMatch(/does not scan/);
  });

  it('allows loopback, where tests sweep, and single addresses as /32', () => {
    expect(checkSweepRange('127.0.0.0/24')).toMatchObject({ count: 254 });
    expect(checkSweepRange('127.0.0.1/32')).toMatchObject({ count: 1, first: '127.0.0.1', last: '127.0.0.1' });
    expect(checkSweepRange('10.0.0.0/31')).toMatchObject({ count: 2 });
  });

  it('refuses garbage with a typed error that says what to type', () => {
    for (const bad of [
      '',
      'abc',
      '192.168.1.0',
      '300.1.1.1/24',
      '1.2.3.4/33',
      '1.2.3/24',
      '01.2.3.4/24',
      '1.2.3.4/-1',
      'fe80::/64',
      '1.2.3.4/24; rm -rf /',
      'x'.repeat(500),
      '<b>1</b>/24',
    ]) {
      expect(refused(bad).code, bad).toBe('BAD_REQUEST');
    }
    expect(refused('fe80::/64').message).toMatch(/Only IPv4/);
    expect(refused('300.1.1.1/24').message).toMatch(/not an IPv4 address/);
    expect(refused(undefined as unknown as string).code).toBe('BAD_REQUEST');
  });
});
