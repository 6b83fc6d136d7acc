/**
 * Text from a box (hostnames, TXT records, pod names, log lines, console output) is untrusted. Outside
 * the terminal view it is shown with terminal escapes and other control characters removed, so it can
 * neither move a cursor, retitle a window, nor hide what follows it.
 */
// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), other two-byte escapes, and 8-bit C1 controls.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|[\u0080-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export function stripTerminalEscapes(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}

/** Cuts text to at most `max` characters, saying so, for any place that shows box text. */
export function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
