export { contentSecurityPolicy, securityHeaders, type CspOptions } from './csp.ts';
export { resolveStatic, staticResponse, contentTypeFor, NOT_BUILT_PAGE, type StaticHit } from './static.ts';
export { serveSocket, tokenMatches, DEFAULT_LIMITS, SOCKET_SERVER_OPTIONS, type SessionLimits } from './session.ts';
export { allowedHosts, allowedOrigins, hostAllowed, originAllowed } from './http.ts';
