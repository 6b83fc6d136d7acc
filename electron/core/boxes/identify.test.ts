import { describe, expect, it } from 'vitest';
import { boxIdOf, parseBoxFacts } from './identify.ts';

describe('what a box says about itself', () => {
  it('reads tagged facts and ignores console noise around them', () => {
    const text = [
      '[  12.345678] eth0: link up',
      'FLID serial=LAB-0001',
      'FLID machine-id=0123456789abcdef0123456789abcdef',
      'FLID hostname=box-01',
      'FLID arch=aarch64',
      'FLID addr=10.77.0.11',
      'FLID addr=999.1.1.1',
      'FLID k3s=k3s version v1.30.4+k3s1 (abcdef)',
    ].join('\r\n');
    const f = parseBoxFacts(text);
    expect(f).toMatchObject({ serial: 'LAB-0001', hostname: 'box-01', arch: 'arm64', addresses: ['10.77.0.11'], k3sVersion: 'v1.30.4+k3s1' });
    expect(boxIdOf(f)).toBe('LAB-0001');
  });

  it('falls back to machine-id when the firmware serial is a placeholder', () => {
    const f = parseBoxFacts('FLID serial=To Be Filled By O.E.M.\nFLID machine-id=0123456789abcdef0123456789abcdef\nFLID hostname=x');
    expect(boxIdOf(f)).toBe('mid:0123456789abcdef0123456789abcdef');
  });

  it('drops hostile values instead of storing them', () => {
    const f = parseBoxFacts('FLID hostname=\u001b]0;pwn\u0007evil\nFLID serial=SN1');
    expect(f.hostname).toBe('');
    expect(f.serial).toBe('SN1');
  });

  it('says so when the answer names nothing', () => {
    expect(() => parseBoxFacts('login incorrect')).toThrowError(/did not say who it is/);
  });
});
