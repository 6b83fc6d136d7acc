import type { StateCreator } from 'zustand';
import type { AppState, ConsoleSlice } from './types.ts';

export const createConsoleSlice: StateCreator<AppState, [], [], ConsoleSlice> = (set) => ({
  sessions: {},
  setSession: (session) => set((s) => ({ sessions: { ...s.sessions, [session.sessionId]: session } })),
  dropSession: (id) =>
    set((s) => {
      if (!(id in s.sessions)) return s;
      const sessions = { ...s.sessions };
      delete sessions[id];
      return { sessions };
    }),
});

type Sink = (data: string) => void;

/** Output that arrives before its terminal is attached (the first prompt can beat console.open's answer). */
const MAX_PENDING_BYTES = 256 * 1024;
const MAX_PENDING_SESSIONS = 16;

/**
 * Terminal output is far too hot for the store: it goes straight from the one event subscription to
 * the xterm that owns the session. Output for a session nobody holds yet is kept, bounded, until its
 * terminal attaches.
 */
export class ConsoleSinks {
  readonly #sinks = new Map<string, Sink>();
  readonly #pending = new Map<string, string[]>();
  readonly #pendingSize = new Map<string, number>();

  attach(sessionId: string, sink: Sink): () => void {
    this.#sinks.set(sessionId, sink);
    const queued = this.#pending.get(sessionId);
    this.#pending.delete(sessionId);
    this.#pendingSize.delete(sessionId);
    if (queued) for (const d of queued) sink(d);
    return () => {
      if (this.#sinks.get(sessionId) === sink) this.#sinks.delete(sessionId);
    };
  }

  push(sessionId: string, data: string): void {
    const sink = this.#sinks.get(sessionId);
    if (sink) return sink(data);
    if (!this.#pending.has(sessionId)) {
      if (this.#pending.size >= MAX_PENDING_SESSIONS) {
        const oldest = this.#pending.keys().next().value as string;
        this.forget(oldest);
      }
      this.#pending.set(sessionId, []);
    }
    const queue = this.#pending.get(sessionId)!;
    let size = (this.#pendingSize.get(sessionId) ?? 0) + data.length;
    queue.push(data);
    // Keep the tail: the latest screen is what the technician needs to see.
    while (size > MAX_PENDING_BYTES && queue.length > 1) size -= queue.shift()!.length;
    if (size > MAX_PENDING_BYTES) {
      queue[0] = queue[0]!.slice(size - MAX_PENDING_BYTES);
      size = MAX_PENDING_BYTES;
    }
    this.#pendingSize.set(sessionId, size);
  }

  forget(sessionId: string): void {
    this.#pending.delete(sessionId);
    this.#pendingSize.delete(sessionId);
  }

  pendingBytes(sessionId: string): number {
    return this.#pendingSize.get(sessionId) ?? 0;
  }
}
