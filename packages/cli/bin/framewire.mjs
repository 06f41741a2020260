#!/usr/bin/env node
// The `framewire` command. Runs the built CLI (dist/index.js); in a fresh
// clone of the repository it builds the packages first (dist missing), with
// the build's output on stderr so stdout stays clean for data.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// dist/main.js, not the package root: the root also exports the hub, whose broker clients
// every command would then load.
const dist = join(here, '..', 'dist', 'main.js');
const repoRoot = join(here, '..', '..', '..');
const turbo = join(repoRoot, 'node_modules', '.bin', 'turbo');
const adapterDist = join(here, '..', '..', 'node-adapter', 'dist', 'index.js');
if ((!existsSync(dist) || !existsSync(adapterDist)) && existsSync(turbo) && existsSync(join(repoRoot, 'turbo.json'))) {
  process.stderr.write('framewire: building the packages (dist missing)...\n');
  const result = spawnSync(turbo, ['run', 'build', '--filter=framewire...', '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) {
    process.stderr.write('framewire: build failed; run `pnpm build` to see why\n');
    process.exit(1);
  }
}
const { main } = await import(dist);
// Exit now: stdout and stderr pipes are synchronous on Linux, and a leftover handle must not keep us alive.
process.exit(await main(process.argv.slice(2), fileURLToPath(import.meta.url)));
