import type { EventName, EventPayload } from '../../../shared/api.ts';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

/**
 * The core's one event stream. Services emit contract events here; each front door (IPC, WebSocket,
 * CLI progress printer, tests) subscribes here. A listener that throws is dropped from this emit only
 * and never breaks the emitter.
 */
export class EventBus {
  readonly #listeners = new Map<EventName, Set<Listener<EventName>>>();
  readonly #any = new Set<(name: EventName, payload: unknown) => void>();

  on<E extends EventName>(name: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Every event, whatever its name: for transports that forward the whole stream. */
  onAny(listener: (name: EventName, payload: unknown) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const l of this.#listeners.get(name) ?? []) safely(() => l(payload));
    for (const l of this.#any) safely(() => l(name, payload));
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A broken subscriber must not stop the core; it is the subscriber's bug to log.
  }
}
