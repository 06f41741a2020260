// Finds the codec build a benchmark measures: the built package
// (../dist/adapter/index.js, which re-exports the protocol and session layers) when it exports what the benchmark needs and is newer
// than every file in ../src, otherwise a throwaway esbuild bundle of the
// named source files (so a benchmark runs on a fresh clone before
// `pnpm build` and never measures a stale build). `--src` forces the bundle.
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '..', 'src');

/** The frame layer, as codec.bench.mjs and mask.bench.mjs use it. */
const FRAME_LAYER = {
  'protocol/frame-decoder.ts': ['FrameDecoder'],
  'protocol/frame.ts': ['encodeFrame', 'encodeFrameToBuffer', 'SINGLE_BUFFER_FRAME_LIMIT'],
  'protocol/mask.ts': ['mask', 'maskInto', 'setNativeMask'],
  'protocol/bytes.ts': ['setUninitializedAllocator'],
};

/**
 * Returns `{ url, source }`: a module URL exporting every name of `modules`
 * (source file under ../src → its exports) and where it came from. Only
 * ../dist/adapter/index.js is considered as a build, so `modules` must name things
 * the main entry exports, unless `forceSource`.
 * @param {{ modules?: Record<string, string[]>, forceSource?: boolean, platform?: 'neutral' | 'node' }} [options]
 */
export async function locateCodec({ modules = FRAME_LAYER, forceSource = false, platform = 'neutral' } = {}) {
  const dist = join(here, '..', 'dist', 'adapter', 'index.js');
  if (!forceSource && existsSync(dist) && statSync(dist).mtimeMs >= newestSource(src)) {
    const url = pathToFileURL(dist).href;
    const mod = await import(url);
    if (Object.values(modules).flat().every((name) => name in mod)) return { url, source: 'dist/adapter/index.js' };
  }
  return { url: await bundleSource(modules, platform), source: 'src (esbuild bundle)' };
}

/**
 * Bundles the named exports of ../src files into one throwaway ES module.
 * @param {Record<string, string[]>} modules
 * @param {'neutral' | 'node'} platform
 * @returns {Promise<string>} its file URL
 */
export async function bundleSource(modules, platform = 'neutral') {
  const { build } = await import('esbuild');
  const outfile = join(mkdtempSync(join(tmpdir(), 'fw-codec-bench-')), 'codec.js');
  await build({
    stdin: {
      contents: Object.entries(modules)
        .map(([file, names]) => `export { ${names.join(', ')} } from './${file}';`)
        .join('\n'),
      resolveDir: src,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    logLevel: 'warning',
  });
  return pathToFileURL(outfile).href;
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}
