import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peerMissing } from './peers.js';

// The built @framewire/codec must load unchanged under Node, Deno and Bun and
// produce byte-identical frames (ARCHITECTURE.md: one codec on every runtime).
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const fixture = resolve(here, 'runtimes/frames-fixture.mjs');
const bin = (name: string) => resolve(root, 'node_modules/.bin', name);

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr}`);
  return result.stdout.trim();
}

describe('the built codec on every runtime', () => {
  const built = existsSync(resolve(here, '../dist/protocol/index.js'));
  if (!built) peerMissing(it, 'the built codec (packages/codec/dist): run pnpm build first');
  it.skipIf(!built)('Node, Deno and Bun encode and decode byte-identical frames', () => {
    const node = run(process.execPath, [fixture]);
    const deno = run(bin('deno'), ['run', `--allow-read=${resolve(here, '..')},${root}/node_modules`, fixture]);
    const bun = run(bin('bun'), [fixture]);
    const parsed = JSON.parse(node) as { frames: string[]; decoded: string[] };
    expect(parsed.frames.length).toBe(18);
    expect(parsed.decoded.length).toBe(10);
    expect(parsed.frames[0]).toBe('8200');
    expect(deno).toBe(node);
    expect(bun).toBe(node);
  });
});
