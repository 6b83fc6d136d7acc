import { z } from 'zod';

/**
 * Every failure that crosses the contract carries one of these codes. The CLI maps them to exit
 * status, the UI to a sentence and a next step. Add codes here, never ad-hoc strings elsewhere.
 */
export const ErrorCode = z.enum([
  'BAD_REQUEST', // the payload failed the schema, or a usage error on the command line
  'UNKNOWN_CALL', // a call name the contract does not have
  'UNAUTHORIZED', // wrong session token, foreign origin, foreign sender
  'NOT_FOUND', // no such box, job, file…
  'NOT_AVAILABLE_YET', // the capability is planned but not built in this version
  'CONFLICT', // the state does not allow this now (e.g. a job already running)
  'TIMEOUT',
  'ABORTED', // cancelled by the technician
  'LINK_DOWN', // the network or cable to the box is gone
  'HOST_KEY_UNKNOWN', // the box's key is not pinned and nobody accepted it
  'HOST_KEY_CHANGED', // the box's key differs from the pin: refused before any credential is sent
  'AUTH_FAILED',
  'REMOTE_FAILED', // the box answered but the command or step failed
  'PROTOCOL', // the peer said something we cannot parse
  'STORAGE', // local disk or database trouble (full disk, corrupt file)
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ApiError = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ApiError = z.infer<typeof ApiError>;

/** The one error type of Fieldlink: a stable code and a message a technician can act on. */
export class FieldlinkError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FieldlinkError';
    this.code = code;
    this.details = details;
  }

  toJSON(): ApiError {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Turns anything thrown into a typed value that is safe to send: no stack, no internals. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof FieldlinkError) return err.toJSON();
  if (err instanceof z.ZodError) {
    return { code: 'BAD_REQUEST', message: describeZodError(err), details: { issues: err.issues.slice(0, 20) } };
  }
  if (err instanceof Error && err.name === 'AbortError') return { code: 'ABORTED', message: 'Cancelled.' };
  return { code: 'INTERNAL', message: 'Something went wrong inside Fieldlink. The details are in the log.' };
}

export function fromApiError(e: ApiError): FieldlinkError {
  return new FieldlinkError(e.code, e.message, e.details);
}

export function describeZodError(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return 'Invalid input.';
  const where = first.path.length > 0 ? first.path.join('.') : 'input';
  return `Invalid ${where}: ${first.message}`;
}

/** Exit status of the command line for each code: 2 is a usage problem, 1 any other failure. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'BAD_REQUEST' || code === 'UNKNOWN_CALL' || code === 'NOT_AVAILABLE_YET' ? 2 : 1;
}
