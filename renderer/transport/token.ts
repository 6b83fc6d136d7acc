/**
 * The browser host's session token arrives once, in the URL fragment (#token=…), which browsers
 * never send to a server. It is kept in this tab's sessionStorage (so a reload still works) and
 * removed from the address bar and history at once, so it does not end up in bookmarks, screenshots
 * or shared links.
 */
const KEY = 'fieldlink.token';

export function takeSessionToken(loc: Location = window.location, storage: Storage = window.sessionStorage, hist: History = window.history): string | null {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    try {
      storage.setItem(KEY, fromHash);
    } catch {
      // Storage may be disabled; the token still works for this page load.
    }
    hist.replaceState(hist.state, '', loc.pathname + loc.search);
    return fromHash;
  }
  try {
    return storage.getItem(KEY);
  } catch {
    return null;
  }
}
