import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Finds the file of the built renderer a URL path asks for, for both hosts (the browser host and
 * Electron's fieldlink:// protocol). Paths that try to leave the renderer folder (.., encoded
 * slashes, backslashes, NUL, symlinks pointing out) are refused; paths without an extension fall
 * back to index.html so the UI's own routes survive a reload.
 */
export type StaticHit =
  | { kind: 'file'; file: string; type: string; size: number }
  | { kind: 'not-found' }
  | { kind: 'bad-path' }
  /** The renderer has not been built: no index.html in the folder. */
  | { kind: 'not-built' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export async function resolveStatic(rootDir: string, urlPath: string): Promise<StaticHit> {
  const root = path.resolve(rootDir);
  const realRoot = await fs.realpath(root).catch(() => null);
  if (!realRoot || !(await isFile(path.join(realRoot, 'index.html')))) return { kind: 'not-built' };

  const segments = decodeSegments(urlPath);
  if (!segments) return { kind: 'bad-path' };
  // Dotfiles are never part of a build; asking for one is probing.
  if (segments.some((s) => s.startsWith('.'))) return { kind: 'not-found' };

  const wanted = segments.length === 0 ? 'index.html' : segments.join('/');
  const hit = await fileInside(realRoot, wanted);
  if (hit) return hit;
  const last = segments.at(-1) ?? '';
  if (!last.includes('.')) return (await fileInside(realRoot, 'index.html')) ?? { kind: 'not-found' };
  return { kind: 'not-found' };
}

/** Splits a URL path into decoded segments, or null if any segment could step outside the root. */
function decodeSegments(urlPath: string): string[] | null {
  if (urlPath.length > 2048 || !urlPath.startsWith('/')) return null;
  const out: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === '.' || seg === '..' || /[\\/\0:]/.test(seg)) return null;
    out.push(seg);
  }
  return out;
}

async function fileInside(realRoot: string, rel: string): Promise<StaticHit | null> {
  const real = await fs.realpath(path.join(realRoot, rel)).catch(() => null);
  if (!real) return null;
  const back = path.relative(realRoot, real);
  // A symlink inside the build that points elsewhere is not part of the build.
  if (back.startsWith('..') || path.isAbsolute(back)) return null;
  const st = await fs.stat(real).catch(() => null);
  if (!st?.isFile()) return null;
  return { kind: 'file', file: real, type: contentTypeFor(real), size: st.size };
}

async function isFile(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isFile() ?? false;
}

/** What either host answers when the renderer has not been built yet. */
export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fieldlink</title></head>
<body><h1>The Fieldlink UI has not been built yet</h1>
<p><code>npm start</code> and <code>npx fieldlink ui</code> build it as they start; if the terminal showed
build errors, fix them, or run <code>npm run build:renderer</code> in the project folder, then reload this page.</p></body></html>
`;

/**
 * The renderer as web Responses, for Electron's protocol.handle (fieldlink://app/…). Same lookup and
 * refusals as the browser host; `headers` carries the CSP and friends.
 */
export async function staticResponse(rootDir: string, request: { url: string; method: string }, headers: Record<string, string>): Promise<Response> {
  const json = (status: number, code: string, message: string) =>
    new Response(JSON.stringify({ code, message }), { status, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' } });
  if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, 'BAD_REQUEST', 'Only GET and HEAD are served here.');
  let pathname: string;
  try {
    pathname = new URL(request.url).pathname;
  } catch {
    return json(400, 'BAD_REQUEST', 'That address is not allowed.');
  }
  const hit = await resolveStatic(rootDir, pathname);
  switch (hit.kind) {
    case 'not-built':
      return new Response(NOT_BUILT_PAGE, { status: 503, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
    case 'bad-path':
      return json(400, 'BAD_REQUEST', 'That path is not allowed.');
    case 'not-found':
      return json(404, 'NOT_FOUND', 'No such file in the Fieldlink UI.');
    case 'file': {
      const body = request.method === 'HEAD' ? null : new Uint8Array(await fs.readFile(hit.file));
      return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': hit.type, 'Content-Length': String(hit.size) } });
    }
  }
}
