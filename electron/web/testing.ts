import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createApp, type App } from '../core/app.ts';
import { createLogger } from '../core/log/index.ts';

/** A real core on a throwaway data folder, logging everything into memory so tests can read the log. */
export function makeApp(): { app: App; logText: () => string; cleanup: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-web-'));
  let log = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      log += String(chunk);
      cb();
    },
  });
  const app = createApp({ host: 'browser', dataDir: path.join(dir, 'data'), logger: createLogger({ level: 'trace', destination: sink }) });
  return {
    app,
    logText: () => log,
    cleanup: async () => {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small built renderer: index.html, a hashed bundle, and a file outside it to aim traversal at. */
export function makeRenderer(): { dir: string; secret: string; cleanup: () => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-renderer-'));
  const dir = path.join(base, 'main_window');
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Fieldlink</title><script type="module" src="/assets/index-abc.js"></script>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log("ui")');
  fs.writeFileSync(path.join(dir, 'assets', 'style.css'), 'body{}');
  fs.writeFileSync(path.join(dir, '.env'), 'NOPE=1');
  const secret = path.join(base, 'secret.txt');
  fs.writeFileSync(secret, 'TOP-SECRET-OUTSIDE');
  fs.symlinkSync(secret, path.join(dir, 'assets', 'link.txt'));
  return { dir, secret, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A plain HTTP request with exactly the path and headers given (no URL normalisation). */
export function rawGet(port: number, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A real ws client, with the browser-like Origin the host expects unless told otherwise. */
export function openSocket(port: number, opts: { origin?: string | null; host?: string; path?: string } = {}): WebSocket {
  const headers: Record<string, string> = {};
  const origin = opts.origin === undefined ? `http://127.0.0.1:${port}` : opts.origin;
  if (origin !== null) headers.origin = origin;
  if (opts.host) headers.host = opts.host;
  return new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/api'}`, { headers, maxPayload: 64 * 1024 * 1024 });
}

/** Collects every JSON message a socket receives, and lets a test wait for one that matches. */
export class Inbox {
  readonly messages: Record<string, unknown>[] = [];
  readonly #waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;
  unexpected: Promise<{ status: number; body: string }>;

  constructor(ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      this.messages.push(m);
      for (const w of [...this.#waiters]) {
        if (w.match(m)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    this.unexpected = new Promise((resolve) =>
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }),
    );
    ws.on('error', () => {});
  }

  next(match: (m: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const seen = this.messages.find(match);
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching message in time')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.messages.splice(this.messages.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }
}

export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

/** An authenticated socket, ready for calls. */
export async function session(port: number, token: string): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const ws = openSocket(port);
  const inbox = new Inbox(ws);
  await opened(ws);
  ws.send(JSON.stringify({ t: 'hello', token }));
  await inbox.next((m) => m.t === 'ready');
  return { ws, inbox };
}
