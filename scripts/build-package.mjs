// Shared build for every package: esbuild bundles the ESM entry points
// (code splitting keeps one copy of shared classes so `instanceof` holds
// across subpaths), tsc emits the declarations.
// Usage (from a package folder): node ../../scripts/build-package.mjs src/index.ts [src/other.ts ...]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const entryPoints = process.argv.slice(2);
if (entryPoints.length === 0) throw new Error('build-package: name at least one entry point');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const packages = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = [...packages, ...packages.map((name) => `${name}/*`), 'node:*', 'bun'];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  external,
  logLevel: 'warning',
});

const require = createRequire(import.meta.url);
const tsc = resolve(require.resolve('typescript/package.json'), '..', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
