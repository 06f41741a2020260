// The codec's layers import in one direction only (ARCHITECTURE.md):
// protocol ← session ← adapter (and session ← whatwg), with testing and zlib beside them. The root
// export loads protocol code and nothing else.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
/** What each layer may import (besides itself). */
const allowed: Record<string, readonly string[]> = {
  protocol: [],
  session: ['protocol'],
  adapter: ['protocol', 'session'],
  zlib: ['protocol'],
  testing: ['protocol', 'session'],
  whatwg: ['protocol', 'session'],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

const layerOf = (path: string): string => relative(src, path).split('/')[0]!;

describe('codec layers', () => {
  it('every source file lives in a layer folder', () => {
    const loose = files(src).filter((path) => !(layerOf(path) in allowed));
    expect(loose.map((path) => relative(src, path))).toEqual([]);
  });

  it('imports point only down the layers', () => {
    const wrong: string[] = [];
    for (const path of files(src)) {
      const layer = layerOf(path);
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = layerOf(resolve(dirname(path), match[1]!));
        if (target !== layer && !allowed[layer]!.includes(target)) wrong.push(`${relative(src, path)} → ${match[1]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("the root entry ('@framewire/codec') bundles protocol modules only", async () => {
    const result = await build({
      entryPoints: [join(src, 'protocol/index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      external: ['@noble/hashes', '@noble/hashes/*', 'pako'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).map((path) => relative(src, resolve(path)));
    expect(inputs.length).toBeGreaterThan(20);
    expect(inputs.filter((path) => !path.startsWith('protocol/'))).toEqual([]);
  });
});
