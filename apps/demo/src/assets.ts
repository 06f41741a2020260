/**
 * The page's static files (apps/demo/public), read once at start. The same
 * code runs from src/ (Bun, Deno, tests) and dist/ (Node), both one level
 * below the app folder.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';

/** One file to serve. */
export interface Asset {
  readonly type: string;
  readonly body: Uint8Array;
}

/** Files served, by URL path → file in public/ and its content type. */
const FILES: ReadonlyArray<readonly [path: string, file: string, type: string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/echo-panel.js', 'echo-panel.js', 'text/javascript; charset=utf-8'],
  ['/format.js', 'format.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
  ['/favicon.svg', 'favicon.svg', 'image/svg+xml'],
  // Browsers ask for /favicon.ico whatever the page links; an SVG answers it too.
  ['/favicon.ico', 'favicon.svg', 'image/svg+xml'],
];

/** Read every page file; rejects when one is missing (a broken checkout should not start). */
export async function loadAssets(folder: URL = new URL('../public/', import.meta.url)): Promise<ReadonlyMap<string, Asset>> {
  const entries = await Promise.all(
    FILES.map(async ([path, file, type]) => [path, { type, body: new Uint8Array(await readFile(new URL(file, folder))) }] as const),
  );
  return new Map(entries);
}
