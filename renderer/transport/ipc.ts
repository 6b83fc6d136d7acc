import { isCallName, type CallInput, type CallName, type CallOutput, type EventName, type EventPayload, type FieldlinkClient, type PreloadBridge } from '../../shared/api.ts';
import { ApiError, FieldlinkError, fromApiError } from '../../shared/errors.ts';
import { createConnectionStore, type ConnectionStore } from './connection.ts';
import { Listeners } from './listeners.ts';

export type IpcClient = FieldlinkClient & { connection: ConnectionStore };

/**
 * The Electron client: window.fieldlink (electron/preload.ts) already has one function per call and
 * event; this turns its result values back into resolved values and FieldlinkErrors, so the UI sees
 * exactly what the WebSocket client gives it. IPC cannot drop while the window lives, so the
 * connection is always "connected".
 */
export function createIpcClient(bridge: PreloadBridge, opts: { callTimeoutMs?: number } = {}): IpcClient {
  const callTimeoutMs = opts.callTimeoutMs ?? 60_000;
  const connection = createConnectionStore({ status: 'connected', transport: 'ipc', attempt: 0, retryAt: null, message: null });
  const unsubscribers = new Map<EventName, () => void>();
  const listeners = new Listeners(
    (name) =>
      unsubscribers.set(
        name,
        bridge.events[name]((payload) => listeners.emit(name, payload)),
      ),
    (name) => {
      unsubscribers.get(name)?.();
      unsubscribers.delete(name);
    },
  );

  async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    if (!isCallName(name) || typeof bridge.calls[name] !== 'function') throw new FieldlinkError('UNKNOWN_CALL', `Unknown call: ${String(name).slice(0, 80)}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FieldlinkError('TIMEOUT', `The Fieldlink core did not answer ${name} within ${Math.round(callTimeoutMs / 1000)} s.`)), callTimeoutMs);
    });
    try {
      const result = await Promise.race([bridge.calls[name](input), timeout]);
      if (result.ok) return result.value as CallOutput<N>;
      const error = ApiError.safeParse(result.error);
      throw error.success ? fromApiError(error.data) : new FieldlinkError('PROTOCOL', 'The Fieldlink core answered with an error this UI cannot read.');
    } finally {
      clearTimeout(timer);
    }
  }

  function on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    return listeners.add(name, listener);
  }

  return { call, on, connection };
}
