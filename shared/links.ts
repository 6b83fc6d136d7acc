/**
 * The only places a link may take the technician, in the system browser: the docs a diagnosis points
 * to. One rule for every link the UI can show — the app's own, and the ones a box prints into the
 * Console (hyperlinks and URLs in its output are the box talking, so they get no trust of their
 * own). Used by the renderer (xterm's link handler) and by electron/main.ts (shell.openExternal).
 */
export const EXTERNAL_ORIGINS: readonly string[] = ['https://kubernetes.io', 'https://docs.k3s.io'];

/**
 * The URL to open if `text` is an https link to an allowlisted origin (exact origin: no look-alike
 * hosts, no other port, no user or password in it), else null. Returns the normalised href, which is
 * what should be opened.
 */
export function allowedExternalUrl(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > 2048) return null;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return null;
  return EXTERNAL_ORIGINS.includes(u.origin) ? u.href : null;
}
