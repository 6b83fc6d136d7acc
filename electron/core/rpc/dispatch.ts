import { calls, isCallName, type CallResult } from '../../../shared/api.ts';
import { FieldlinkError, toApiError } from '../../../shared/errors.ts';
import type { Logger } from '../log/index.ts';
import type { Handlers } from './handlers.ts';

export type Dispatch = (name: unknown, input: unknown) => Promise<CallResult<unknown>>;

/**
 * The one door every transport goes through: checks the call name against the contract, validates
 * the payload, runs the handler, validates what it returns, and turns any failure into a typed
 * error value. It never throws and never sends a stack trace.
 */
export function createDispatch(handlers: Handlers, log?: Logger): Dispatch {
  return async (name, input) => {
    try {
      if (!isCallName(name)) throw new FieldlinkError('UNKNOWN_CALL', `Unknown call: ${String(name).slice(0, 80)}`);
      const spec = calls[name];
      const parsed = spec.input.parse(input ?? {});
      const handler = handlers[name] as (i: unknown) => unknown;
      const value = spec.output.parse(await handler(parsed));
      return { ok: true, value };
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'INTERNAL') log?.error({ call: typeof name === 'string' ? name.slice(0, 80) : typeof name, err }, 'call failed');
      return { ok: false, error };
    }
  };
}
