import { callNames, calls, isCallName, type CallResult } from '../../../shared/api.ts';
import { FieldlinkError, toApiError } from '../../../shared/errors.ts';
import { detailsInLog, type Logger } from '../log/index.ts';
import type { Handlers } from './handlers.ts';

export type Dispatch = (name: unknown, input: unknown) => Promise<CallResult<unknown>>;

/**
 * The one door every transport goes through: checks the call name against the contract, validates
 * the payload, runs the handler, validates what it returns, and turns any failure into a typed
 * error value. It never throws and never sends a stack trace.
 */
export function createDispatch(handlers: Handlers, log?: Logger): Dispatch {
  // The compiler checks this for the composition root; a handler table built any other way is
  // checked here, at start-up, rather than as an INTERNAL error on the first call that misses.
  const missing = callNames.filter((n) => typeof (handlers as Record<string, unknown>)[n] !== 'function');
  if (missing.length) throw new Error(`No handler for ${missing.join(', ')}`);
  return async (name, input) => {
    try {
      if (!isCallName(name)) throw new FieldlinkError('UNKNOWN_CALL', `Unknown call: ${describeName(name)}`);
      const spec = calls[name];
      const parsed = spec.input.parse(input ?? {});
      const handler = handlers[name] as (i: unknown) => unknown;
      const value = spec.output.parse(await handler(parsed));
      return { ok: true, value };
    } catch (err) {
      const error = toApiError(err);
      if (error.code !== 'INTERNAL') return { ok: false, error };
      // Never the input (it may hold a password): the call's name and what went wrong.
      log?.error({ call: describeName(name), err }, 'call failed');
      return { ok: false, error: log ? { ...error, message: `Something went wrong inside Fieldlink. ${detailsInLog(log)}` } : error };
    }
  };
}

/** A caller-supplied name, safe to put in a message or a log line whatever it is. */
function describeName(name: unknown): string {
  return typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : `(a ${typeof name})`;
}
