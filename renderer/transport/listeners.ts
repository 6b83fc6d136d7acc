import { isEventName, type EventName, type EventPayload } from '../../shared/api.ts';
import { FieldlinkError } from '../../shared/errors.ts';

/**
 * The UI's event listeners, per event name. The first listener of a name subscribes at the
 * transport and the last one to leave unsubscribes, so the core only sends what somebody shows.
 * A listener that throws is logged and does not stop the others.
 */
export class Listeners {
  readonly #byName = new Map<EventName, Set<(payload: unknown) => void>>();
  readonly #first: (name: EventName) => void;
  readonly #last: (name: EventName) => void;

  constructor(first: (name: EventName) => void, last: (name: EventName) => void) {
    this.#first = first;
    this.#last = last;
  }

  add<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    if (!isEventName(name)) throw new FieldlinkError('BAD_REQUEST', `Unknown event: ${String(name).slice(0, 80)}`);
    if (typeof listener !== 'function') throw new FieldlinkError('BAD_REQUEST', 'An event listener must be a function.');
    let set = this.#byName.get(name);
    const fresh = !set;
    if (!set) this.#byName.set(name, (set = new Set()));
    // Wrapped so the same function can listen twice and each unsubscribe removes only its own.
    const entry = (payload: unknown) => listener(payload as EventPayload<E>);
    set.add(entry);
    if (fresh) this.#first(name);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(entry);
      if (set.size === 0 && this.#byName.get(name) === set) {
        this.#byName.delete(name);
        this.#last(name);
      }
    };
  }

  names(): EventName[] {
    return [...this.#byName.keys()];
  }

  emit(name: EventName, payload: unknown): void {
    for (const l of [...(this.#byName.get(name) ?? [])]) {
      try {
        l(payload);
      } catch (err) {
        console.error(`Fieldlink: a ${name} listener failed`, err);
      }
    }
  }
}
