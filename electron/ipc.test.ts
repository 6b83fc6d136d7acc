import { describe, expect, it, vi } from 'vitest';
import { eventChannel, type PreloadBridge } from '../shared/api.ts';
import type { FieldlinkError } from '../shared/errors.ts';
import { ACK_CHANNEL, MAX_QUEUED_BYTES, SLOW_CONSUMER_MESSAGE, SendWindow } from '../shared/flow.ts';
import type { ConsoleSession } from '../shared/model.ts';
import { ConsoleSessions, type TerminalLink } from './core/console/index.ts';
import { EventBus } from './core/events/index.ts';
import { createLogger } from './core/log/index.ts';

vi.mock('electron', () => import('./testing/stub-electron.ts'));
const stub = await import('./testing/stub-electron.ts');
const { appUrlMatcher, bindIpc } = await import('./ipc.ts');

/*
 * Back-pressure on console output over Electron IPC, through the stub Electron: one window whose
 * preload acknowledges what it hands to the page (a renderer that keeps up), and one whose renderer
 * takes nothing (hung, or drowning in its own work). A box that floods must not make main queue
 * without end for the second: its session is cut at the bound, with a message.
 */

function memoryLink() {
  const data: ((c: Uint8Array) => void)[] = [];
  let closed = false;
  const link: TerminalLink = {
    via: 'ssh',
    write: () => {},
    resize: () => {},
    onData: (l) => void data.push(l),
    onEnd: () => {},
    close: async () => {
      closed = true;
    },
  };
  return { link, emit: (b: Uint8Array) => data.forEach((l) => l(b)), isClosed: () => closed };
}

const APP = 'fieldlink://app/index.html';
const bus = new EventBus();
let nextLink = memoryLink();
const consoles = new ConsoleSessions(bus, async () => nextLink.link);
const core = { bus, consoles, log: createLogger({ level: 'silent' }), dispatch: async () => ({ ok: true, value: {} }) };
const ipc = bindIpc({ app: core as never, ipcMain: stub.ipcMain as never, isAppUrl: appUrlMatcher('fieldlink://app') });

const keepsUp = new stub.StubWebContents();
keepsUp.mainFrame.url = APP;
ipc.attach(keepsUp as never);
stub.preloadContext.contents = keepsUp;
await import('./preload.ts');
const bridge = stub.exposed.fieldlink as PreloadBridge;
let shown = 0;
bridge.events['console.data']((p) => (shown += (p as { data: string }).data.length));
const states: ConsoleSession[] = [];
bus.on('console.state', (s) => states.push(s));

const MiB = 1024 * 1024;
const tick = () => new Promise((r) => setTimeout(r, 0));
const consoleBytesSentTo = (wc: InstanceType<typeof stub.StubWebContents>) =>
  wc.sent.filter((m) => m.channel === eventChannel('console.data')).reduce((n, m) => n + (m.payload as { data: string }).data.length, 0);

describe('console output over IPC', () => {
  it('delivers a 32 MiB flood in full to a window that keeps up', async () => {
    nextLink = memoryLink();
    const m = nextLink;
    const s = await consoles.open('ssh://box', { cols: 80, rows: 24 });
    shown = 0;
    for (let i = 0; i < 32 * 4; i++) {
      m.emit(Buffer.alloc(MiB / 4, 0x41));
      if (i % 8 === 0) await tick();
    }
    await tick();
    expect(shown).toBe(32 * MiB);
    expect(m.isClosed()).toBe(false);
    expect(states.filter((x) => x.sessionId === s.sessionId).at(-1)?.state).toBe('open');
    await consoles.close(s.sessionId);
  });

  it('cuts the session with a clear message once a window that does not read holds the bound, instead of queueing more', async () => {
    const stalled = new stub.StubWebContents();
    stalled.mainFrame.url = APP;
    ipc.attach(stalled as never);
    nextLink = memoryLink();
    const m = nextLink;
    const s = await consoles.open('ssh://box', { cols: 80, rows: 24 });
    for (let i = 0; i < 16; i++) m.emit(Buffer.alloc(MiB / 4, 0x42));
    // An acknowledgement from anything but the window's own app page does not count.
    const sentSoFar = stalled.sent.filter((x) => x.channel === eventChannel('console.data')).length;
    stub.ipcMain.emit(ACK_CHANNEL, { sender: stalled, senderFrame: new stub.StubFrame('https://evil.example/') }, sentSoFar);
    stub.ipcMain.emit(ACK_CHANNEL, { sender: stalled, senderFrame: new stub.StubFrame(APP, stalled.mainFrame) }, sentSoFar);
    for (let i = 0; i < 32 * 4 && !m.isClosed(); i++) {
      m.emit(Buffer.alloc(MiB / 4, 0x42));
      if (i % 8 === 0) await tick();
    }
    await vi.waitFor(() => expect(m.isClosed()).toBe(true));
    // What the stalled window was sent stays within the bound (UTF-16 text, as it is held in memory).
    expect(consoleBytesSentTo(stalled) * 2).toBeLessThanOrEqual(MAX_QUEUED_BYTES);
    expect(consoleBytesSentTo(stalled) * 2).toBeGreaterThan(MAX_QUEUED_BYTES / 2);
    const last = states.filter((x) => x.sessionId === s.sessionId).at(-1);
    expect(last).toMatchObject({ state: 'error', message: SLOW_CONSUMER_MESSAGE });
    // Both windows are told why, the stalled one included (state changes are never held back).
    for (const wc of [stalled, keepsUp]) expect(wc.sent.some((x) => x.channel === eventChannel('console.state') && (x.payload as ConsoleSession).state === 'error')).toBe(true);
    await expect(consoles.write(s.sessionId, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' } satisfies Partial<FieldlinkError>);
    stalled.destroy();
  });
});

describe('SendWindow', () => {
  it('counts what was sent until it is acknowledged, and ignores acknowledgements it never asked for', () => {
    const w = new SendWindow(100);
    expect(w.admits(100)).toBe(true);
    const a = w.sent(40);
    w.sent(40);
    expect(w.admits(30)).toBe(false);
    for (const bogus of [0, -1, 99, 1.5, '1', null]) w.taken(bogus);
    expect(w.queued).toBe(80);
    w.taken(a);
    expect(w.queued).toBe(40);
    w.taken(a);
    expect(w.queued).toBe(40);
    w.taken(a + 1);
    expect(w.queued).toBe(0);
  });
});
