import type { CallName, CallOutput, CallParsedInput } from '../../../shared/api.ts';

type Handler<N extends CallName> = (input: CallParsedInput<N>) => Promise<CallOutput<N>> | CallOutput<N>;

/** One function per contract call. The dispatcher has already validated `input` (defaults applied). */
export type Handlers = { [N in CallName]: Handler<N> };

/**
 * The calls of one concept, by their prefix (`'boxes'` is `boxes.list` and `boxes.get`). Each core
 * folder registers its own in its handlers.ts, taking only the services it needs; the composition
 * root (app.ts) joins them, and the compiler checks that every call of the contract has one.
 */
export type HandlersOf<P extends string> = { [N in CallName as N extends `${P}.${string}` ? N : never]: Handler<N> };
