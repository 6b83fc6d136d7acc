import { FieldlinkError } from '../../../../shared/errors.ts';
import type { Logger } from '../../log/index.ts';
import { readable } from './console-text.ts';
import { FrameReader, newNonce } from './frames.ts';
import type { SerialLink } from './link.ts';
import { setupScript, typed } from './scripts.ts';

export interface SerialCredentials {
  user: string;
  password?: string;
}

/*
 * Login automation in the spirit of labgrid's ShellDriver: wake the console, then react to what it
 * shows once it has been quiet for a moment (a prompt is the last thing printed, then silence).
 * Every state a technician meets is handled: a login prompt, a password prompt, a shell already
 * logged in (ours from an earlier session shows 'fieldlink# '), a program still running (^C), and
 * busybox's "Please press Enter to activate this console". A shell is only believed once it runs the
 * setup script and prints its marker. Nothing typed here, and nothing printed around the password,
 * is ever logged.
 */

const QUIET_MS = 150;
const NUDGE_MS = 1500;
const SETUP_WAIT_MS = 4000;
const VIEW_CHARS = 2048;

const NUDGES: [string, string][] = [
  ['\r', 'wake'],
  ['\x03', 'interrupt'],
  ['\r', 'wake'],
  // An editor left open on the console (vi, or its Ex mode's ':' prompt): Escape, ^U to clear the
  // line, then quit without saving. At a shell it is one 'command not found'.
  ['\x1b\x15:qa!\r', 'leave-editor'],
  ['\x18'.repeat(10) + '\x08'.repeat(10) + '\r', 'cancel-transfer'],
];

// A prompt is the unfinished last line: nothing but blanks after it. A line the box ended with a
// newline is one already answered (the box completes "Password: " once it has read the password),
// and a box slow after the password must not look as if it asked again.
const ACTIVATE = /press enter to activate/i;
const PASSWORD = /pass(?:word|phrase)[^\n]{0,40}:[ \t]*$/i;
const LOGIN = /login:[ \t]*$/i;
const REFUSED = /login incorrect|authentication fail|incorrect password|access denied|permission denied/i;
const SHELL = /[#$%>][ \t]*$/;

export async function loginAndSetup(p: {
  link: SerialLink;
  credentials: SerialCredentials | undefined;
  deadline: number;
  signal?: AbortSignal;
  log?: Logger;
  /** Keys to send first: '\r' to wake, '\x03' to interrupt a command we gave up on. */
  wake?: string;
  /**
   * Keys that end an upload the box may still be draining (its end token): sent before every wake,
   * since the first copy can land inside the chunk the box was still reading.
   */
  drainKeys?: string;
}): Promise<void> {
  const { link, credentials, deadline, signal, log } = p;
  const rx = link.rx;
  const target = link.identity.target;
  rx.clear();
  let view = '';
  let lastDataAt = Date.now();
  let lastActionAt = Date.now();
  let nudges = 0;
  let usersSent = 0;
  let passwordSent = false;
  let strangePasswordPrompts = 0;
  let afterSetup = false;
  let everSaw = '';
  let lastTail = '';

  const act = async (keys: string, what: string) => {
    log?.debug({ step: what }, 'serial login');
    view = '';
    lastActionAt = Date.now();
    await link.write(keys);
  };

  const drain = p.drainKeys ?? '';
  await act(drain + (p.wake ?? '\r'), 'wake');
  for (;;) {
    let text = '';
    try {
      text = await rx.read(Math.min(deadline, Date.now() + 100), signal, 'a prompt');
    } catch (err) {
      if (!(err instanceof FieldlinkError) || err.code !== 'TIMEOUT') throw err;
      if (Date.now() < deadline) text = '';
      else
        throw new FieldlinkError(
          'TIMEOUT',
          `No login or shell prompt came from ${target}. Check the box is powered, the cable is the console port, and the baud rate (${link.baud}).`,
          passwordSent ? { path: target } : { path: target, lastOutput: readable(everSaw).slice(-200) },
        );
    }
    const tail = rx.tail();
    if (text.length > 0 || tail !== lastTail) lastDataAt = Date.now();
    lastTail = tail;
    view = (view + text).slice(-VIEW_CHARS);
    if (!passwordSent) everSaw = (everSaw + text).slice(-VIEW_CHARS);
    const shown = readable(view + tail);
    // Only output that came after our last keys counts: the prompt we just answered is still on screen.
    const quiet = lastDataAt > lastActionAt && Date.now() - lastDataAt >= QUIET_MS;

    if (passwordSent && REFUSED.test(shown)) throw authFailed(target, 'The box refused the user name or password.');
    if (quiet) {
      if (ACTIVATE.test(shown.slice(-200))) {
        await act('\r', 'activate');
        continue;
      }
      if (PASSWORD.test(shown)) {
        if (afterSetup) {
          // Our setup line was taken as a user name at a login prompt that looked like a shell: an
          // empty password gets the real login prompt back without spending the technician's.
          afterSetup = false;
          await act('\r', 'skip-stray-login');
          continue;
        }
        if (passwordSent) throw authFailed(target, 'The box asked for the password again: it was not accepted.');
        if (credentials?.password === undefined) throw authFailed(target, 'The box asks for a password and none is stored for it.');
        if (usersSent === 0 && strangePasswordPrompts < 2) {
          // A password prompt we did not bring about: someone before us typed a user name (perhaps
          // another one, perhaps an empty line taken as one). Back to the login prompt first: ^C
          // restarts getty's login, and failing that an empty password only costs a "Login incorrect".
          strangePasswordPrompts += 1;
          await act(strangePasswordPrompts === 1 ? '\x03' : '\r', 'leave-password-prompt');
          continue;
        }
        passwordSent = true;
        await act(`${credentials.password}\r`, 'password');
        continue;
      }
      if (LOGIN.test(shown)) {
        if (passwordSent) throw authFailed(target, 'The box refused the user name or password.');
        if (!credentials?.user) throw authFailed(target, 'The console shows a login prompt and no user name is stored for this box.');
        if (usersSent >= 2) throw authFailed(target, 'The box keeps asking for the user name.');
        usersSent += 1;
        afterSetup = false;
        await act(`${credentials.user}\r`, 'user');
        continue;
      }
      if (SHELL.test(shown)) {
        if (await trySetup()) return;
        continue;
      }
    }
    if (Date.now() - lastActionAt >= NUDGE_MS) {
      // Enter first (a prompt that missed the wake), then ^C for a command that still holds the
      // console, then the ZMODEM cancel (ten CAN, ten backspaces to erase them from any prompt) for
      // an rz/sz that left the tty raw, where ^C is only data.
      const [keys, what] = NUDGES[nudges % NUDGES.length]!;
      await act(drain + keys, what);
      nudges += 1;
    }
  }

  async function trySetup(): Promise<boolean> {
    const nonce = newNonce();
    const frames = new FrameReader(nonce);
    await act(typed(setupScript(nonce)), 'setup');
    afterSetup = true;
    const until = Math.min(deadline, Date.now() + SETUP_WAIT_MS);
    for (;;) {
      let text: string;
      try {
        text = await rx.read(until, signal, 'the shell');
      } catch (err) {
        if (err instanceof FieldlinkError && err.code === 'TIMEOUT') return false;
        throw err;
      }
      if (text.length > 0) {
        lastDataAt = Date.now();
        view = (view + text).slice(-VIEW_CHARS);
      }
      try {
        if (frames.feed(text).some((e) => e.kind === 'marker' && e.tag === 'Y')) {
          log?.debug('serial shell ready');
          return true;
        }
      } catch (err) {
        // The shell answered, but has no private scratch folder: a clear failure, not a retry.
        if (err instanceof FieldlinkError && err.code === 'REMOTE_FAILED') throw err;
        return false;
      }
    }
  }
}

function authFailed(target: string, why: string): FieldlinkError {
  return new FieldlinkError('AUTH_FAILED', `Could not log in on the console of ${target}. ${why}`, { path: target });
}
