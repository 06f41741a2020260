// Builds native/prebuilt/<platform>-<arch>/framewire-spawn-helper from
// native/spawn-helper.c with the C compiler, when there is one and the binary
// is missing or was built from another version of the source (the binary
// prints the hash of its source with --source-hash). Without a compiler it
// says so and leaves things as they are: `framewire serve` then spawns with
// node:child_process. The linux-x64 binary is committed, so a fresh clone on
// Linux x64 needs no compiler.
//   node scripts/build-spawn-helper.mjs [--check]   (--check: fail if stale)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'spawn-helper.c');
const output = join(root, 'native', 'prebuilt', `${platform()}-${arch()}`, 'framewire-spawn-helper');

/** The hash the binary must report: the first 16 hex digits of the source's SHA-256. */
export function sourceHash() {
  return createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
}

function builtHash() {
  if (!existsSync(output)) return undefined;
  const result = spawnSync(output, ['--source-hash'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = sourceHash();
  if (builtHash() === want) process.exit(0);
  if (process.argv.includes('--check')) {
    console.error(`spawn helper ${output} is missing or not built from native/spawn-helper.c (${want}): run node scripts/build-spawn-helper.mjs`);
    process.exit(1);
  }
  if (platform() !== 'linux') process.exit(0);
  const cc = process.env.CC ?? 'cc';
  mkdirSync(dirname(output), { recursive: true });
  const result = spawnSync(cc, ['-O2', '-s', '-Wall', '-Wextra', '-Werror', `-DFW_SOURCE_HASH="${want}"`, '-o', output, source], { stdio: 'inherit' });
  if (result.error !== undefined || result.status !== 0) {
    console.error(`spawn helper not built (${result.error?.message ?? `${cc} exited ${result.status}`}): framewire serve will spawn with node:child_process`);
    process.exit(0);
  }
}
