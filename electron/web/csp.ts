/**
 * The Content-Security-Policy of the UI, for both hosts (Electron's fieldlink:// protocol and the
 * browser host). Nothing remote: every source is the app's own origin.
 *
 * style-src carries 'unsafe-inline' because xterm.js (the Console tab) injects <style> elements and
 * style attributes for its theme and cell sizes; scripts never get it outside the dev server.
 */
export interface CspOptions {
  /** Extra connect-src entries, e.g. the browser host's own ws://127.0.0.1:PORT. */
  connectSrc?: string[];
  /**
   * Vite's dev server (electron-forge start only): React's refresh preamble is an inline script and
   * HMR talks over a WebSocket to the dev server.
   */
  devServer?: string;
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const dev = opts.devServer ? new URL(opts.devServer) : null;
  const devWs = dev ? `ws://${dev.host}` : null;
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'", ...(opts.connectSrc ?? []), ...(devWs ? [devWs] : [])],
    'worker-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'frame-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}

/** Headers every UI response carries, whichever host serves it. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
