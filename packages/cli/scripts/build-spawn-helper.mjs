// Builds native/prebuilt/<platform>-<arch>/framewire-spawn-helper from
// native/spawn-helper.c. Each binary prints the hash of the source it was
// built from (--source-hash) and carries it as a string, so a stale one is
// found without running it.
//
// The committed binaries are static, so they run on any Linux of their
// architecture whatever its C library (glibc of any age, or musl as on
// Alpine). A glibc-linked build needs the glibc it was built against or
// newer: one from Debian 12 wants GLIBC_2.34 and would not start on
// Ubuntu 20.04 or Amazon Linux 2.
//   linux-x64:   musl-gcc -static (Debian: musl-tools), 55 KB
//   linux-arm64: aarch64-linux-gnu-gcc -static (Debian: gcc-aarch64-linux-gnu,
//                libc6-dev-arm64-cross), 600 KB (static glibc)
//
//   node scripts/build-spawn-helper.mjs           (package build) this machine's binary, only
//       when it is missing or stale; with the static compiler, else with cc; without any
//       compiler it says so and serve spawns with the runtime's own spawn
//   node scripts/build-spawn-helper.mjs --all     every committed target (fails on a missing compiler)
//   node scripts/build-spawn-helper.mjs --check   fail if a committed binary is missing or stale
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'spawn-helper.c');

/** The committed targets: ELF machine number, and the static compiler that builds each. */
export const TARGETS = {
  'linux-x64': { machine: 62, cc: 'musl-gcc' },
  'linux-arm64': { machine: 183, cc: 'aarch64-linux-gnu-gcc' },
};

/** The binary's path for a target. */
export function helperBinary(target) {
  return join(root, 'native', 'prebuilt', target, 'framewire-spawn-helper');
}

/** The hash a binary must carry: the first 16 hex digits of the source's SHA-256. */
export function sourceHash() {
  return createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
}

/** Why `target`'s committed binary is not the current one, or undefined when it is. */
export function staleness(target, want = sourceHash()) {
  const file = helperBinary(target);
  if (!existsSync(file)) return `${file} is missing`;
  const bytes = readFileSync(file);
  // ELF magic, 64-bit, little-endian, then e_machine at offset 18.
  const elf = bytes.length > 20 && bytes.readUInt32BE(0) === 0x7f454c46 && bytes[4] === 2 && bytes[5] === 1;
  if (!elf || bytes.readUInt16LE(18) !== TARGETS[target].machine) return `${file} is not a 64-bit ELF for ${target}`;
  if (!bytes.includes(Buffer.from(want))) return `${file} is not built from native/spawn-helper.c as it is now (${want})`;
  return undefined;
}

function compile(cc, flags, output, want) {
  mkdirSync(dirname(output), { recursive: true });
  return spawnSync(cc, ['-O2', '-s', ...flags, '-Wall', '-Wextra', '-Werror', `-DFW_SOURCE_HASH="${want}"`, '-o', output, source], { stdio: 'inherit' });
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v "${command}"`], { stdio: 'ignore' }).status === 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = sourceHash();
  if (process.argv.includes('--check')) {
    const problems = Object.keys(TARGETS).map((target) => staleness(target, want)).filter((problem) => problem !== undefined);
    for (const problem of problems) console.error(`spawn helper ${problem}: run node scripts/build-spawn-helper.mjs --all`);
    process.exit(problems.length === 0 ? 0 : 1);
  }
  if (process.argv.includes('--all')) {
    for (const [target, { cc }] of Object.entries(TARGETS)) {
      if (!has(cc)) {
        console.error(`${cc} not found: it builds the static ${target} helper (see the top of this script for the Debian packages)`);
        process.exit(1);
      }
      const result = compile(cc, ['-static'], helperBinary(target), want);
      if (result.status !== 0) process.exit(1);
    }
    process.exit(0);
  }
  // Package build: this machine's binary, when it is missing or stale.
  const target = `${platform()}-${arch()}`;
  if (platform() !== 'linux') process.exit(0);
  const output = helperBinary(target);
  if (existsSync(output) && readFileSync(output).includes(Buffer.from(want))) process.exit(0);
  const preferred = TARGETS[target]?.cc;
  const [cc, flags] = preferred !== undefined && has(preferred) ? [preferred, ['-static']] : [process.env.CC ?? 'cc', []];
  const result = compile(cc, flags, output, want);
  if (result.error !== undefined || result.status !== 0) {
    console.error(`spawn helper not built (${result.error?.message ?? `${cc} exited ${result.status}`}): framewire serve will spawn with node:child_process`);
    process.exit(0);
  }
}
