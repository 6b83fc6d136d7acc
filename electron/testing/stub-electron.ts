import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Electron from 'electron';

/**
 * A stand-in for the `electron` module, because the Electron binary cannot run here. It models the
 * parts main.ts, preload.ts and ipc.ts use, and is held to Electron's own type declarations (the
 * `satisfies` checks at the bottom fail to compile if a signature drifts). IPC copies values with
 * structuredClone in both directions, as Electron's IPC does, so non-cloneable input fails the
 * same way. Wire it with `vi.mock('electron', () => import('./testing/stub-electron.ts'))` from a test in electron/.
 */

type Handler = (event: Electron.IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/** Records what main.ts asked of Electron, for the tests to check. */
export const recorded = {
  privilegedSchemes: [] as Electron.CustomScheme[],
  protocolHandlers: new Map<string, (request: Request) => Response | Promise<Response>>(),
  openedExternally: [] as string[],
  sandboxEnabled: false,
  quitCalled: false,
  exitCode: null as number | null,
  errorBoxes: [] as { title: string; content: string }[],
  permissionRequest: null as null | ((wc: StubWebContents, permission: string, cb: (granted: boolean) => void, details: unknown) => void),
  permissionCheck: null as null | ((wc: StubWebContents | null, permission: string, origin: string, details: unknown) => boolean),
  devicePermission: null as null | ((details: unknown) => boolean),
  headersReceived: null as null | ((details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void),
};

/** A navigation-style event: what Electron passes to will-navigate and friends. */
export class StubEvent {
  defaultPrevented = false;
  readonly url: string;
  readonly isMainFrame: boolean;
  constructor(url = '', isMainFrame = true) {
    this.url = url;
    this.isMainFrame = isMainFrame;
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class StubFrame {
  url: string;
  parent: StubFrame | null;
  constructor(url: string, parent: StubFrame | null = null) {
    this.url = url;
    this.parent = parent;
  }
}

let nextContentsId = 1;

export class StubWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = new StubFrame('about:blank');
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse) | null = null;
  #destroyed = false;
  /** The renderer side of this window: what its preload's ipcRenderer sees. */
  readonly renderer = new EventEmitter();

  getURL(): string {
    return this.mainFrame.url;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
    this.emit('destroyed');
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.#destroyed) throw new Error('Object has been destroyed');
    const cloned = structuredClone(args);
    this.sent.push({ channel, payload: cloned[0] });
    this.renderer.emit(channel, { sender: null }, ...cloned);
  }
  setWindowOpenHandler(handler: (details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse): void {
    this.windowOpenHandler = handler;
  }
  /** Simulates the page asking for a navigation; returns whether Electron would go ahead. */
  navigate(url: string, kind: 'will-navigate' | 'will-frame-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    const event = new StubEvent(url);
    this.emit(kind, event, url);
    if (!event.defaultPrevented) this.mainFrame.url = url;
    return !event.defaultPrevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  readonly options: Electron.BrowserWindowConstructorOptions;
  readonly webContents = new StubWebContents();
  loadedUrl: string | null = null;
  visible = false;
  focused = false;

  constructor(options: Electron.BrowserWindowConstructorOptions = {}) {
    super();
    this.options = options;
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', new StubEvent(), this.webContents);
  }
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.webContents.isDestroyed());
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    this.emit('ready-to-show');
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused = true;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.webContents.isDestroyed();
  }
}

class StubApp extends EventEmitter {
  isPackaged = false;
  readonly userData = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-electron-userdata-'));
  singleInstance = true;
  #ready!: () => void;
  readonly #readyPromise = new Promise<void>((r) => (this.#ready = r));

  whenReady(): Promise<void> {
    return this.#readyPromise;
  }
  /** Test hook: Electron finished starting. */
  readyFired = false;
  fireReady(): void {
    this.readyFired = true;
    this.#ready();
    this.emit('ready');
  }
  getPath(name: 'userData'): string {
    if (name !== 'userData') throw new Error(`stub app.getPath: ${String(name)} not modelled`);
    return this.userData;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  enableSandbox(): void {
    recorded.sandboxEnabled = true;
  }
  quit(): void {
    recorded.quitCalled = true;
    this.emit('will-quit', new StubEvent());
  }
  exit(code = 0): void {
    recorded.exitCode = code;
  }
}
export const app = new StubApp();

class StubIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What Electron does when a renderer invokes: clone in, run the handler, clone out. */
  async invokeFrom(sender: StubWebContents, frame: StubFrame | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const cloned = structuredClone(args);
    const event = { sender, senderFrame: frame, processId: 1, frameId: 1 } as unknown as Electron.IpcMainInvokeEvent;
    return structuredClone(await handler(event, ...cloned));
  }
}
export const ipcMain = new StubIpcMain();

/** Which window the preload under test lives in; set before importing preload.ts. */
export const preloadContext = { contents: null as StubWebContents | null, frame: null as StubFrame | null };

export const ipcRenderer = {
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const contents = preloadContext.contents;
    if (!contents) return Promise.reject(new Error('stub: no preload context'));
    // Electron refuses non-cloneable arguments before they leave the renderer.
    try {
      structuredClone(args);
    } catch (err) {
      return Promise.reject(new Error(`An object could not be cloned. (${(err as Error).message})`));
    }
    return ipcMain.invokeFrom(contents, preloadContext.frame ?? contents.mainFrame, channel, ...args);
  },
  on(channel: string, listener: (event: Electron.IpcRendererEvent, ...args: unknown[]) => void) {
    preloadContext.contents?.renderer.on(channel, listener);
    return ipcRenderer;
  },
  removeListener(channel: string, listener: (...args: unknown[]) => void) {
    preloadContext.contents?.renderer.removeListener(channel, listener);
    return ipcRenderer;
  },
  /** What Electron does for ipcRenderer.send: clone, and emit on ipcMain with the sender's frame. */
  send(channel: string, ...args: unknown[]): void {
    const contents = preloadContext.contents;
    if (!contents) throw new Error('stub: no preload context');
    const event = { sender: contents, senderFrame: preloadContext.frame ?? contents.mainFrame, processId: 1, frameId: 1 };
    ipcMain.emit(channel, event, ...structuredClone(args));
  },
};

export const exposed: Record<string, unknown> = {};
export const contextBridge = {
  exposeInMainWorld(apiKey: string, api: unknown): void {
    if (Object.hasOwn(exposed, apiKey)) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${apiKey}`);
    exposed[apiKey] = api;
  },
};

export const protocol = {
  registerSchemesAsPrivileged(customSchemes: Electron.CustomScheme[]): void {
    if (app.readyFired) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    recorded.privilegedSchemes.push(...customSchemes);
  },
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
    recorded.protocolHandlers.set(scheme, handler);
  },
};

class StubSession extends EventEmitter {
  readonly webRequest = {
    onHeadersReceived(listener: NonNullable<typeof recorded.headersReceived>): void {
      recorded.headersReceived = listener;
    },
  };
  setPermissionRequestHandler(handler: NonNullable<typeof recorded.permissionRequest>): void {
    recorded.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: NonNullable<typeof recorded.permissionCheck>): void {
    recorded.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: NonNullable<typeof recorded.devicePermission>): void {
    recorded.devicePermission = handler;
  }
}
export const session = { defaultSession: new StubSession() };

export const shell = {
  async openExternal(url: string, _options?: Electron.OpenExternalOptions): Promise<void> {
    recorded.openedExternally.push(url);
  },
};

export const dialog = {
  showErrorBox(title: string, content: string): void {
    recorded.errorBoxes.push({ title, content });
  },
};

/** A reversible stand-in for the OS keychain; tests choose what the platform offers. */
export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as ReturnType<Electron.SafeStorage['getSelectedStorageBackend']>,
  isEncryptionAvailable(): boolean {
    return this.available;
  },
  getSelectedStorageBackend(): ReturnType<Electron.SafeStorage['getSelectedStorageBackend']> {
    return this.backend;
  },
  encryptString(plainText: string): Buffer {
    return Buffer.from(`sealed:${Buffer.from(plainText).toString('hex')}`);
  },
  decryptString(encrypted: Buffer): string {
    const text = encrypted.toString();
    if (!text.startsWith('sealed:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(text.slice(7), 'hex').toString();
  },
};

// Held to Electron's declarations: these fail to compile if the stub's shapes drift from the real API.
ipcMain satisfies Pick<Electron.IpcMain, 'handle' | 'removeHandler'>;
ipcRenderer satisfies Pick<Electron.IpcRenderer, 'invoke' | 'send'>;
contextBridge satisfies Pick<Electron.ContextBridge, 'exposeInMainWorld'>;
protocol satisfies Pick<Electron.Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
shell satisfies Pick<Electron.Shell, 'openExternal'>;
dialog satisfies Pick<Electron.Dialog, 'showErrorBox'>;
safeStorage satisfies Pick<Electron.SafeStorage, 'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'>;
app satisfies Pick<Electron.App, 'whenReady' | 'requestSingleInstanceLock' | 'enableSandbox' | 'quit' | 'exit'>;
