/**
 * `--staticdir DIR`: plain HTTP GET/HEAD of files under DIR on the same port
 * (`index.html` for a directory). Paths are decoded, normalized and must
 * stay inside DIR (`..`, encoded or not, gets 403); dotfiles are not served.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/**
 * The file under `root` a URL path names, or an HTTP status: 400 (bad
 * encoding), 403 (escapes the root or a dotfile). Pure, so it can be
 * property-tested.
 */
export function staticTarget(root: string, urlPath: string): string | 400 | 403 {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return 400;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 400;
  const parts = decoded.split('/');
  if (parts.some((part) => part === '..' || (part.startsWith('.') && part !== '.'))) return 403;
  const file = normalize(join(root, ...parts.filter((part) => part !== '' && part !== '.')));
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  return file === normalize(root) || file.startsWith(base) ? file : 403;
}

/** An http request listener serving `root` (anything else: 404; methods other than GET/HEAD: 405). */
export function staticHandler(root: string): (request: IncomingMessage, response: ServerResponse) => void {
  const rootReal = realpath(root);
  return (request, response) => {
    void serve(request, response).catch(() => finish(response, 500));
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return finish(response, 405, { Allow: 'GET, HEAD' });
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const base = await rootReal;
    let target = staticTarget(base, path);
    if (typeof target === 'number') return finish(response, target);
    let info = await stat(target).catch(() => undefined);
    if (info?.isDirectory() === true) {
      target = join(target, 'index.html');
      info = await stat(target).catch(() => undefined);
    }
    if (info === undefined || !info.isFile()) return finish(response, 404);
    // A symlink inside the root must not lead outside it.
    const real = await realpath(target);
    if (real !== base && !real.startsWith(base + sep)) return finish(response, 403);
    response.writeHead(200, {
      'Content-Type': TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'X-Content-Type-Options': 'nosniff',
    });
    if (request.method === 'HEAD') return void response.end();
    createReadStream(real)
      .on('error', () => response.destroy())
      .pipe(response);
  }
}

/** Answer a plain status with a short text body. */
export function finish(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (response.headersSent) return void response.destroy();
  const body = `${status}\n`;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  response.end(body);
}
