import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./testing/stub-electron.ts'));
const stub = await import('./testing/stub-electron.ts');

describe('Electron main process, second launch', () => {
  it('quits without opening a window or a database when another Fieldlink holds the lock', async () => {
    stub.app.singleInstance = false;
    await import('./main.ts');
    stub.app.fireReady();
    await new Promise((r) => setTimeout(r, 50));
    expect(stub.recorded.quitCalled).toBe(true);
    expect(stub.BrowserWindow.all).toHaveLength(0);
    expect(stub.ipcMain.handlers.size).toBe(0);
  });
});
