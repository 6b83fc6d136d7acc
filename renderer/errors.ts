import { FieldlinkError, type ErrorCode } from '../shared/errors.ts';
import { PasswordNeeded } from '../shared/api.ts';

/**
 * The one place a typed error becomes words on screen: what happened (a sentence) and what to do
 * next. The core's own message is kept as the detail, because it names the box, file or field.
 */
export interface Explained {
  code: ErrorCode;
  sentence: string;
  next: string;
  detail: string | null;
}

const TEXT: Record<ErrorCode, { sentence: string; next: string }> = {
  BAD_REQUEST: { sentence: 'Fieldlink could not accept that input.', next: 'Check the highlighted field and try again.' },
  UNKNOWN_CALL: { sentence: 'This screen asked the core for something it does not know.', next: 'The app and its core are different versions: restart Fieldlink.' },
  UNAUTHORIZED: { sentence: 'The core refused this window.', next: 'Close this tab and open Fieldlink again from the app or `fieldlink ui`.' },
  NOT_FOUND: { sentence: 'That is not there any more.', next: 'Go back to the Fleet and pick it again; run a scan if it is missing.' },
  NOT_AVAILABLE_YET: { sentence: 'This is not built yet in this version of Fieldlink.', next: 'Use another tool for this for now; a later version will do it here.' },
  CONFLICT: { sentence: 'That cannot be done right now.', next: 'Wait for the running job to finish (see the status bar), then try again.' },
  TIMEOUT: { sentence: 'The box took too long to answer.', next: 'Check the cable or LAN link, then try again.' },
  ABORTED: { sentence: 'Cancelled.', next: 'Nothing else to do; start it again when you are ready.' },
  LINK_DOWN: { sentence: 'The link to the box is gone.', next: 'Check the network cable or the USB-serial cable, then reconnect.' },
  HOST_KEY_UNKNOWN: { sentence: 'Fieldlink has not seen this box’s key before.', next: 'Compare the fingerprint with the label on the box, then trust it.' },
  HOST_KEY_CHANGED: {
    sentence: 'The box shows a different key than the one pinned. Nothing was sent to it.',
    next: 'Do not log in. Check the key over the serial cable or ask the site lead whether the box was reinstalled.',
  },
  AUTH_FAILED: { sentence: 'The box refused the login.', next: 'Check the password on the box label or your SSH key, then try again.' },
  REMOTE_FAILED: { sentence: 'The box answered, but the command failed there.', next: 'Read the output below, fix the cause on the box, then retry.' },
  PROTOCOL: { sentence: 'The box said something Fieldlink cannot understand.', next: 'Check it is a supported box and firmware; the details are in the log.' },
  STORAGE: { sentence: 'Fieldlink could not read or write its data on this laptop.', next: 'Free some disk space, then restart Fieldlink.' },
  INTERNAL: { sentence: 'Something went wrong inside Fieldlink.', next: 'Try again; if it keeps happening, send the log file to support.' },
};

/** `nextFor` lets a screen give a sharper next step for a code where it knows more (e.g. the box's address). */
export function explain(err: unknown, nextFor: Partial<Record<ErrorCode, string>> = {}): Explained {
  const e = asFieldlinkError(err);
  const t = TEXT[e.code] ?? TEXT.INTERNAL;
  const detail = e.message && e.message !== t.sentence ? e.message : null;
  return { code: e.code, sentence: t.sentence, next: nextFor[e.code] ?? t.next, detail };
}

/** Anything thrown on this side (a bug, a closed socket) still gets a code, never a raw stack. */
export function asFieldlinkError(err: unknown): FieldlinkError {
  if (err instanceof FieldlinkError) return err;
  if (isApiErrorLike(err)) return new FieldlinkError(err.code, err.message, err.details);
  if (err instanceof Error && err.name === 'AbortError') return new FieldlinkError('ABORTED', 'Cancelled.');
  return new FieldlinkError('INTERNAL', 'Something went wrong inside Fieldlink.');
}

function isApiErrorLike(v: unknown): v is { code: ErrorCode; message: string; details?: Record<string, unknown> } {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.code === 'string' && Object.hasOwn(TEXT, o.code) && typeof o.message === 'string';
}

/**
 * For AUTH_FAILED where a password would get in (no agent or key worked, or the password was
 * refused): what the password prompt needs. Null for every other error, and for a box that takes no
 * password at all (then the plain error, with its next step, is the right thing to show).
 */
export function passwordProblemOf(err: unknown): PasswordNeeded | null {
  const e = asFieldlinkError(err);
  if (e.code !== 'AUTH_FAILED') return null;
  const parsed = PasswordNeeded.safeParse(e.details ?? {});
  if (!parsed.success) return null;
  return { ...parsed.data, target: parsed.data.target.slice(0, 500), user: parsed.data.user.slice(0, 64) };
}

/** For BAD_REQUEST from the core: which field the schema complained about, to point at it inline. */
export function fieldOf(err: unknown): string | null {
  const e = asFieldlinkError(err);
  if (e.code !== 'BAD_REQUEST') return null;
  const issues = e.details?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  const path = (issues[0] as { path?: unknown }).path;
  return Array.isArray(path) && path.length > 0 ? String(path[0]) : null;
}
