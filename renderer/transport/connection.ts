/**
 * Where the UI's link to the core stands, for the status bar. Shaped for React's
 * useSyncExternalStore (and zustand's subscribe): getState returns the same object until it changes.
 */
export type ConnectionStatus =
  /** First attempt in progress. */
  | 'connecting'
  | 'connected'
  /** Lost; retrying with backoff. Calls made now wait for the link (up to their timeout). */
  | 'reconnecting'
  /** The session token was refused: retrying cannot help, the tab must be reopened from `fieldlink ui`. */
  | 'unauthorized'
  /** Closed on purpose (the page is going away). */
  | 'closed';

export interface ConnectionState {
  status: ConnectionStatus;
  transport: 'ipc' | 'websocket';
  /** Failed attempts since the last good connection. */
  attempt: number;
  /** When the next attempt starts (epoch ms), while reconnecting. */
  retryAt: number | null;
  /** What went wrong last, in words for the technician. */
  message: string | null;
}

export interface ConnectionStore {
  getState(): ConnectionState;
  subscribe(listener: (state: ConnectionState) => void): () => void;
  /** Skips the backoff wait and tries now (a "Reconnect" button). */
  retryNow(): void;
}

export function createConnectionStore(
  initial: ConnectionState,
  retryNow: () => void = () => {},
): ConnectionStore & {
  set(patch: Partial<ConnectionState>): void;
} {
  let state = initial;
  const listeners = new Set<(s: ConnectionState) => void>();
  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    retryNow: () => retryNow(),
    set(patch) {
      state = { ...state, ...patch };
      for (const l of [...listeners]) {
        try {
          l(state);
        } catch (err) {
          console.error('connection listener failed', err);
        }
      }
    },
  };
}
