import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../../shared/errors.ts';

/**
 * The browser host only answers requests addressed to itself by loopback name: a DNS-rebinding page
 * (evil.example resolving to 127.0.0.1) sends its own name in Host, and a cross-site page sends its
 * own Origin. Both are refused before anything else happens.
 */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

export function hostAllowed(req: IncomingMessage, hosts: Set<string>): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && hosts.has(host.toLowerCase());
}

/** A page's own requests may omit Origin (plain GETs); when present it must be ours. */
export function originAllowed(req: IncomingMessage, origins: Set<string>, required: boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return !required;
  return origins.has(origin.toLowerCase());
}

export function sendError(res: ServerResponse, status: number, error: ApiError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(error);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Refuses a WebSocket upgrade with a plain HTTP answer carrying the typed error, then hangs up. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, error: ApiError): void {
  const body = JSON.stringify(error);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
