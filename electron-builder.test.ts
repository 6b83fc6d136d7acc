import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { getConfig, validateConfiguration } from './node_modules/app-builder-lib/out/util/config/config.js';

const ROOT = import.meta.dirname;
const quiet = { isEnabled: false, add() {}, save() {} } as never;

/** electron-builder cannot make installers here (it fetches fpm and AppImage tools); its own schema check can run. */
describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation", async () => {
    const cfg = await getConfig(ROOT, 'electron-builder.yml', null);
    await expect(validateConfiguration(cfg, quiet)).resolves.toBeUndefined();
  });

  it('builds AppImage and deb, NSIS, and dmg, and never publishes', () => {
    const cfg = parse(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'));
    expect(cfg.linux.target).toEqual(['AppImage', 'deb']);
    expect(cfg.win.target).toEqual(['nsis']);
    expect(cfg.mac.target).toEqual(['dmg']);
    expect(cfg.publish).toBeNull();
  });

  it('the validator really refuses a wrong config (so the first test can fail)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-eb-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x","version":"1.0.0"}');
      fs.writeFileSync(path.join(dir, 'bad.yml'), 'appId: x\nlinux:\n  target: 42\nnotAnOption: true\n');
      const cfg = await getConfig(dir, 'bad.yml', null);
      await expect(validateConfiguration(cfg, quiet)).rejects.toThrow("configuration has an unknown property 'notAnOption'");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
