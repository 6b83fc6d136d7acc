import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { config, copyNativePackages, nativePackageDirs } from './forge.config.ts';

/**
 * Vite cannot bundle .node addons, so ssh2 and serialport ship as real packages next to the bundle.
 * This builds that layout in a folder outside the project and loads them from there, the way the
 * packaged app will (before Forge rebuilds the addons for Electron's ABI).
 */
describe('native packages shipped beside the main bundle', () => {
  it('lists ssh2 and serialport with everything they need', () => {
    const dirs = nativePackageDirs();
    for (const want of ['node_modules/ssh2', 'node_modules/serialport', 'node_modules/@serialport/bindings-cpp', 'node_modules/node-gyp-build', 'node_modules/asn1']) {
      expect(dirs).toContain(want);
    }
    expect(dirs).not.toContain('node_modules/zod');
  });

  it('copies them so they load from the package folder alone', () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-natives-'));
    try {
      copyNativePackages(app);
      fs.writeFileSync(path.join(app, 'package.json'), '{"name":"fieldlink","type":"module"}');
      const req = createRequire(path.join(app, 'main.js'));
      for (const name of ['ssh2', 'serialport']) {
        expect(req.resolve(name).startsWith(app)).toBe(true);
      }
      const ssh2 = req('ssh2') as { Client: unknown };
      expect(typeof ssh2.Client).toBe('function');
      const serial = req('serialport') as { SerialPort: { list(): Promise<unknown[]> } };
      expect(typeof serial.SerialPort.list).toBe('function');
      expect(fs.existsSync(path.join(app, 'node_modules/.bin'))).toBe(false);
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  });
});

describe('files shipped outside the asar', () => {
  it('puts the example profile in resources/profiles, where the core looks for it (exampleProfileIn)', () => {
    expect(config.packagerConfig?.extraResource).toContain('assets/profiles');
    expect(fs.existsSync(path.join(import.meta.dirname, 'assets', 'profiles', 'example.yaml'))).toBe(true);
  });
});
