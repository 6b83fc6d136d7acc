import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./testing/stub-electron.ts'));
const stub = await import('./testing/stub-electron.ts');

describe('Electron main process, broken data folder', () => {
  it('shows an error box and exits when the core cannot start', async () => {
    const file = path.join(os.tmpdir(), `fl-not-a-dir-${process.pid}`);
    fs.writeFileSync(file, 'x');
    process.env.FIELDLINK_DATA_DIR = path.join(file, 'sub');
    try {
      await import('./main.ts');
      stub.app.fireReady();
      await vi.waitFor(() => expect(stub.recorded.exitCode).toBe(1));
      expect(stub.recorded.errorBoxes[0]?.title).toBe('Fieldlink cannot start');
      // It names the folder to check; the log could not go there, so it went to stderr and says so.
      expect(stub.recorded.errorBoxes[0]?.content).toContain(`the data folder ${path.join(file, 'sub')} is writable`);
      expect(stub.recorded.errorBoxes[0]?.content).toContain('The details are in the log (standard error).');
      expect(stub.BrowserWindow.all).toHaveLength(0);
    } finally {
      delete process.env.FIELDLINK_DATA_DIR;
      fs.rmSync(file, { force: true });
      fs.rmSync(stub.app.userData, { recursive: true, force: true });
    }
  });
});
