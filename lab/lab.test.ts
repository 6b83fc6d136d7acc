import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateUp } from './lab.ts';
import { makeBox } from './box/facts.ts';
import { hostKeys } from './hostkeys.ts';
import { boxIndex } from './config.ts';
import { FieldlinkError } from '../shared/errors.ts';

describe('up options', () => {
  it('fills defaults: healthy scenario, 115200 baud, kernel noise on', () => {
    expect(validateUp({ boxes: 3 })).toMatchObject({ boxes: 3, provisioned: 0, scenario: 'healthy', baud: 115200 });
    expect(validateUp({ boxes: 3 }).consoleNoiseS).toBeGreaterThan(0);
  });

  it('refuses bad counts, scenarios and baud rates with BAD_REQUEST', () => {
    for (const o of [
      { boxes: 0 },
      { boxes: 2.5 },
      { boxes: 500 },
      { boxes: 3, provisioned: 4 },
      { boxes: 3, scenario: 'chaos' },
      { boxes: 3, baud: 12345 },
      { boxes: 3, consoleNoiseS: -1 },
    ]) {
      let err: unknown;
      try {
        validateUp(o);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(o)).toBeInstanceOf(FieldlinkError);
      expect((err as FieldlinkError).code).toBe('BAD_REQUEST');
    }
  });
});

describe('box facts', () => {
  it('give each box its name, address, a label password and a mixed fleet of arches', () => {
    const boxes = [1, 2, 3].map((n) => makeBox(n, { provisioned: false }));
    expect(boxes.map((b) => b.name)).toEqual(['box-01', 'box-02', 'box-03']);
    expect(boxes.map((b) => b.ip)).toEqual(['10.77.0.11', '10.77.0.12', '10.77.0.13']);
    expect(new Set(boxes.map((b) => b.arch))).toEqual(new Set(['amd64', 'arm64']));
    for (const b of boxes) {
      expect(b.password).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
      expect(b.password).not.toMatch(/[01ilo]/);
      expect(b.machineId).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(boxes.map((b) => b.serial)).size).toBe(3);
    expect(new Set(boxes.map((b) => b.mac)).size).toBe(3);
  });

  it('parse box names strictly', () => {
    expect(boxIndex('box-07')).toBe(7);
    expect(boxIndex('box-7')).toBeNull();
    expect(boxIndex('../box-01')).toBeNull();
  });
});

describe('host key fingerprints', () => {
  it('match what ssh-keygen -lf prints (SHA256, base64 without padding)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-hk-'));
    try {
      fs.mkdirSync(path.join(dir, 'ssh'));
      // A fixed key, so the expected fingerprint was computed once with ssh-keygen -lf.
      fs.writeFileSync(path.join(dir, 'ssh', 'ssh_host_ed25519_key.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl root@box-01\n');
      expect(hostKeys(dir)).toEqual([{ type: 'ssh-ed25519', fingerprint: 'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU' }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
