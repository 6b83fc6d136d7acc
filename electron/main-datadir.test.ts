import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./testing/stub-electron.ts'));
const stub = await import('./testing/stub-electron.ts');

describe('Electron main process, data folder', () => {
  it('uses FIELDLINK_DATA_DIR when set, and the 0600 key file when the keychain is only basic_text', async () => {
    stub.safeStorage.backend = 'basic_text';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-datadir-'));
    process.env.FIELDLINK_DATA_DIR = dir;
    try {
      await import('./main.ts');
      stub.app.fireReady();
      await vi.waitFor(() => expect(stub.BrowserWindow.all).toHaveLength(1));
      expect(fs.existsSync(path.join(dir, 'fieldlink.db'))).toBe(true);
      expect(fs.existsSync(path.join(stub.app.userData, 'fieldlink.db'))).toBe(false);
      expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    } finally {
      stub.app.emit('will-quit', new stub.StubEvent());
      delete process.env.FIELDLINK_DATA_DIR;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(stub.app.userData, { recursive: true, force: true });
    }
  });
});
