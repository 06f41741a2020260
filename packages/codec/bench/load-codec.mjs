// Finds the codec build the benchmark measures: the built package
// (../dist/index.js) when it exports the frame layer and is newer than every
// file in ../src, otherwise a throwaway esbuild bundle of the frame files
// from ../src (so the benchmark runs on a fresh clone before `pnpm build` and
// never measures a stale build). `--src` forces the bundle.
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NEEDED = ['FrameDecoder', 'encodeFrame', 'encodeFrameToBuffer', 'mask', 'maskInto', 'setNativeMask', 'setUninitializedAllocator'];

/** Returns `{ url, source }`: a module URL exporting the frame layer and where it came from. */
export async function locateCodec({ forceSource = false } = {}) {
  const dist = join(here, '..', 'dist', 'index.js');
  if (!forceSource && existsSync(dist) && statSync(dist).mtimeMs >= newestSource(join(here, '..', 'src'))) {
    const url = pathToFileURL(dist).href;
    const mod = await import(url);
    if (NEEDED.every((name) => typeof mod[name] === 'function')) return { url, source: 'dist/index.js' };
  }
  const { build } = await import('esbuild');
  const outfile = join(mkdtempSync(join(tmpdir(), 'fw-codec-bench-')), 'frame-layer.js');
  await build({
    stdin: {
      contents: [
        "export { FrameDecoder } from './frame-decoder.ts';",
        "export { encodeFrame, encodeFrameToBuffer, SINGLE_BUFFER_FRAME_LIMIT } from './frame.ts';",
        "export { mask, maskInto, setNativeMask } from './mask.ts';",
        "export { setUninitializedAllocator } from './bytes.ts';",
      ].join('\n'),
      resolveDir: join(here, '..', 'src'),
      loader: 'ts',
    },
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'warning',
  });
  return { url: pathToFileURL(outfile).href, source: 'src (esbuild bundle)' };
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}
