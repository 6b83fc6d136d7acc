import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ConsoleSession } from '../../../shared/model.ts';
import { FieldlinkError, toApiError } from '../../../shared/errors.ts';
import type { EventBus } from '../events/index.ts';

/**
 * A terminal on a box as the Console view needs it, whichever cable carries it: text in, text out,
 * a size, and one end. The SSH and serial adapters below make their own terminals look like this.
 */
export interface TerminalLink {
  readonly via: 'ssh' | 'serial';
  write(data: string): Promise<void> | void;
  resize(cols: number, rows: number): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Once: null for a clean close, an error when the link dropped. */
  onEnd(listener: (err: FieldlinkError | null) => void): void;
  close(): Promise<void>;
}

/** What the technician gave for one open: a password (from the prompt) and whether to keep it once it works. */
export interface OpenCredentials {
  password?: string;
  remember?: boolean;
}

export type OpenTerminal = (
  target: string,
  size: { cols: number; rows: number },
  opts: OpenCredentials & { signal: AbortSignal; onPasswordLogin: () => void },
) => Promise<TerminalLink>;

/** Output is forwarded in slices of at most this much, so one flood cannot stall the UI's event loop. */
const MAX_EVENT_CHARS = 64 * 1024;
/** A technician never needs this many terminals; a leaking UI must not exhaust the box's sessions. */
const MAX_SESSIONS = 16;

/**
 * The open console sessions of this app. Output goes out as `console.data` events, every change of
 * state as `console.state`; sessions end when the link drops, when the UI closes them, or with the app.
 */
export class ConsoleSessions {
  readonly #bus: EventBus;
  readonly #open: OpenTerminal;
  readonly #sessions = new Map<string, { info: ConsoleSession; link: TerminalLink | null; abort: AbortController }>();

  constructor(bus: EventBus, open: OpenTerminal) {
    this.#bus = bus;
    this.#open = open;
  }

  /** Connects and resolves once the terminal is live; a refused host key rejects with its details for the trust prompt. */
  async open(target: string, size: { cols: number; rows: number }, creds: OpenCredentials = {}): Promise<ConsoleSession & { passwordLogin: boolean }> {
    if (this.#sessions.size >= MAX_SESSIONS) throw new FieldlinkError('CONFLICT', `${MAX_SESSIONS} terminals are open already; close one first.`);
    const sessionId = randomUUID();
    const abort = new AbortController();
    const info: ConsoleSession = { sessionId, target, via: target.startsWith('serial:') ? 'serial' : 'ssh', state: 'connecting', message: null };
    const entry = { info, link: null as TerminalLink | null, abort };
    this.#sessions.set(sessionId, entry);
    this.#publish(info);
    let link: TerminalLink;
    let passwordLogin = false;
    try {
      link = await this.#open(target, size, { password: creds.password, remember: creds.remember, signal: abort.signal, onPasswordLogin: () => (passwordLogin = true) });
    } catch (err) {
      this.#sessions.delete(sessionId);
      this.#publish({ ...info, state: 'error', message: toApiError(err).message });
      throw err;
    }
    if (!this.#sessions.has(sessionId)) {
      // Closed while connecting: do not leave the box's terminal open behind the technician's back.
      await link.close().catch(() => {});
      throw new FieldlinkError('ABORTED', 'The terminal was closed while connecting.');
    }
    entry.link = link;
    const decoder = new StringDecoder('utf8');
    link.onData((chunk) => {
      // Bytes the link still delivers after a close or cut belong to no session any more.
      if (!this.#sessions.has(sessionId)) return;
      const text = decoder.write(Buffer.from(chunk));
      for (let i = 0; i < text.length; i += MAX_EVENT_CHARS) this.#bus.emit('console.data', { sessionId, data: text.slice(i, i + MAX_EVENT_CHARS) });
    });
    link.onEnd((err) => {
      if (!this.#sessions.delete(sessionId)) return;
      this.#publish({ ...entry.info, state: err ? 'error' : 'closed', message: err ? err.message : 'The session ended.' });
    });
    entry.info = { ...info, via: link.via, state: 'open' };
    this.#publish(entry.info);
    return { ...entry.info, passwordLogin };
  }

  async write(sessionId: string, data: string): Promise<void> {
    await this.#live(sessionId).write(data);
  }

  resize(sessionId: string, cols: number, rows: number): void {
    this.#live(sessionId).resize(cols, rows);
  }

  async close(sessionId: string): Promise<void> {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return;
    this.#sessions.delete(sessionId);
    entry.abort.abort();
    await entry.link?.close().catch(() => {});
    this.#publish({ ...entry.info, state: 'closed', message: null });
  }

  /**
   * Ends a session that cannot go on (its output does not reach the technician: a window that does
   * not keep up), saying why in its state, before the link is closed.
   */
  async cut(sessionId: string, message: string): Promise<void> {
    const entry = this.#sessions.get(sessionId);
    if (!entry) return;
    this.#sessions.delete(sessionId);
    entry.abort.abort();
    this.#publish({ ...entry.info, state: 'error', message });
    await entry.link?.close().catch(() => {});
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((id) => this.close(id)));
  }

  #live(sessionId: string): TerminalLink {
    const link = this.#sessions.get(sessionId)?.link;
    if (!link) throw new FieldlinkError('NOT_FOUND', 'That terminal is not open any more. Press Connect to open it again.');
    return link;
  }

  #publish(info: ConsoleSession): void {
    this.#bus.emit('console.state', info);
  }
}
