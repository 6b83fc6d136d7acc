import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { FieldlinkError } from '../shared/errors.ts';
import { API_PATH } from '../shared/wire.ts';
import type { CoreDoor } from './core/app.ts';
import { detailsInLog } from './core/log/index.ts';
import {
  DEFAULT_LIMITS,
  NOT_BUILT_PAGE,
  SOCKET_SERVER_OPTIONS,
  allowedHosts,
  allowedOrigins,
  contentSecurityPolicy,
  hostAllowed,
  originAllowed,
  resolveStatic,
  securityHeaders,
  serveSocket,
} from './web/index.ts';
import { goAway } from './web/session.ts';
import { refuseUpgrade, sendError } from './web/http.ts';

export interface WebHostOptions {
  app: CoreDoor;
  /** 0 (the default) picks any free port. */
  port?: number;
  /** The built renderer; defaults to Forge's Vite output, .vite/renderer/main_window. */
  rendererDir?: string;
  /** The session token; a fresh random one when omitted. */
  token?: string;
}

export interface WebHost {
  /** Opens the UI. The token rides in the fragment, which browsers never send to a server. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** One technician, a few tabs: enough sockets for that, few enough that a runaway page cannot pile them up. */
const MAX_SOCKETS = 16;

export const DEFAULT_RENDERER_DIR = path.resolve(import.meta.dirname, '..', '.vite', 'renderer', 'main_window');

/**
 * The browser host: the built UI and the shared/api contract over a WebSocket, on 127.0.0.1 only.
 *
 * The session token travels in the URL fragment (#token=…), which never reaches the server, its
 * logs, or a Referer. The UI moves it to sessionStorage, strips it from the address bar with
 * history.replaceState, and sends it as the socket's first message. Host and Origin are checked on
 * every request so a DNS-rebinding or cross-site page gets nothing even before the token check.
 */
export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  if (!/^[A-Za-z0-9_-]{16,200}$/.test(token)) {
    throw new FieldlinkError('BAD_REQUEST', 'The session token must be 16 to 200 characters of A-Z, a-z, 0-9, _ or -.');
  }
  const wantPort = opts.port ?? 0;
  if (!Number.isInteger(wantPort) || wantPort < 0 || wantPort > 65535) {
    throw new FieldlinkError('BAD_REQUEST', `Port ${String(wantPort)} is not a TCP port; use 1-65535, or 0 for any free port.`);
  }
  const { app } = opts;
  const log = app.log.child({ component: 'web' });
  const rendererDir = path.resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR);

  // Filled in once the port is known; until then every request is refused.
  let hosts = new Set<string>();
  let origins = new Set<string>();
  let headers: Record<string, string> = {};

  const server = http.createServer((req, res) => {
    void handleRequest(req, res).catch((err: unknown) => {
      log.error({ err }, 'browser host: request failed');
      if (!res.headersSent) sendError(res, 500, { code: 'INTERNAL', message: `The browser host failed to answer. ${detailsInLog(log)}` });
      else res.destroy();
    });
  });
  // A page load is a handful of small requests: tight limits cost nothing and bound slow or stuck clients.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 64;
  server.maxConnections = 64;
  const wss = new WebSocketServer({ noServer: true, ...SOCKET_SERVER_OPTIONS });

  async function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress ?? '?';
    if (!hostAllowed(req, hosts) || !originAllowed(req, origins, false)) {
      log.warn({ remote, host: req.headers.host?.slice(0, 100), origin: req.headers.origin?.slice(0, 100) }, 'browser host: refused a foreign Host or Origin');
      return sendError(res, 403, { code: 'UNAUTHORIZED', message: `This address only serves ${[...origins][0] ?? 'its own origin'}.` }, headers);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, 405, { code: 'BAD_REQUEST', message: 'Only GET and HEAD are served here; the API is on the WebSocket.' }, { ...headers, Allow: 'GET, HEAD' });
    }
    const pathname = rawPath(req.url);
    if (pathname === API_PATH) return sendError(res, 426, { code: 'BAD_REQUEST', message: 'The API speaks WebSocket only.' }, headers);

    const hit = await resolveStatic(rendererDir, pathname);
    switch (hit.kind) {
      case 'not-built':
        res.writeHead(503, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        return void res.end(req.method === 'HEAD' ? undefined : NOT_BUILT_PAGE);
      case 'bad-path':
        return sendError(res, 400, { code: 'BAD_REQUEST', message: 'That path is not allowed.' }, headers);
      case 'not-found':
        return sendError(res, 404, { code: 'NOT_FOUND', message: 'No such file in the Fieldlink UI.' }, headers);
      case 'file': {
        res.writeHead(200, {
          ...headers,
          'Content-Type': hit.type,
          'Content-Length': hit.size,
          // index.html names the hashed bundles of this build; always fetch it fresh.
          'Cache-Control': hit.file.endsWith('.html') ? 'no-store' : 'no-cache',
        });
        if (req.method === 'HEAD') return void res.end();
        const stream = fs.createReadStream(hit.file);
        stream.on('error', () => res.destroy());
        stream.pipe(res);
        return;
      }
    }
  }

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const remote = req.socket.remoteAddress ?? '?';
    const pathname = rawPath(req.url);
    if (pathname !== API_PATH) return refuseUpgrade(socket, 404, 'Not Found', { code: 'NOT_FOUND', message: `The API is at ${API_PATH}.` });
    if (!hostAllowed(req, hosts) || !originAllowed(req, origins, true)) {
      log.warn({ remote, host: req.headers.host?.slice(0, 100), origin: req.headers.origin?.slice(0, 100) }, 'browser host: refused a WebSocket from a foreign Host or Origin');
      return refuseUpgrade(socket, 403, 'Forbidden', { code: 'UNAUTHORIZED', message: 'WebSockets are only accepted from the Fieldlink UI page itself.' });
    }
    if (wss.clients.size >= MAX_SOCKETS) {
      return refuseUpgrade(socket, 503, 'Service Unavailable', { code: 'CONFLICT', message: `Too many open Fieldlink tabs (limit ${MAX_SOCKETS}); close some.` });
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => serveSocket(ws, { app, token, log, remote, limits: DEFAULT_LIMITS }));
  });

  const port = await listen(server, wantPort);
  const origin = `http://127.0.0.1:${port}`;
  hosts = allowedHosts(port);
  origins = allowedOrigins(port);
  headers = securityHeaders(contentSecurityPolicy({ connectSrc: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] }));
  log.info({ port }, 'browser host: listening');

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    close: () => (closing ??= shutdown(server, wss)),
  };
}

/**
 * The request path exactly as sent, without the query. Not normalised through URL on purpose: a
 * path with `..` in it is refused as such, not quietly turned into another path.
 */
function rawPath(url: string | undefined): string {
  const u = url ?? '/';
  const end = u.search(/[?#]/);
  return end === -1 ? u : u.slice(0, end);
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new FieldlinkError('CONFLICT', `Port ${port} on 127.0.0.1 is already in use. Pick another with --port, or 0 for any free port.`)
          : new FieldlinkError('INTERNAL', `The browser host could not listen on 127.0.0.1:${port} (${err.code ?? 'error'}).`, undefined, { cause: err }),
      );
    };
    server.once('error', onError);
    // Loopback only, by address: never 0.0.0.0, never "localhost" (which may resolve to ::1 or worse).
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

async function shutdown(server: http.Server, wss: WebSocketServer): Promise<void> {
  const sockets = [...wss.clients];
  for (const ws of sockets) goAway(ws);
  // Give clients a moment to answer the close frame, then cut whatever is left.
  await Promise.race([
    Promise.all(sockets.map((ws) => new Promise<void>((r) => (ws.readyState === ws.CLOSED ? r() : ws.once('close', () => r()))))),
    new Promise<void>((r) => setTimeout(r, 1000).unref()),
  ]);
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}
