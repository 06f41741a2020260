// The conformance matrix that `pnpm test` ends with: @framewire/testkit's
// whole catalogue against every enabled target in
// packages/testkit/testkit.matrix.json (the ws control and each framewire
// runtime, as servers and as clients). Prints the table and every non-pass;
// exits non-zero when any case fails. Reports: packages/testkit/reports/.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const kit = join(root, 'packages/testkit');
const run = spawnSync(
  process.execPath,
  [join(kit, 'bin/framewire-testkit.mjs'), 'matrix', '--config', join(kit, 'testkit.matrix.json'), '--mode', 'both', '--report', join(kit, 'reports'), '--verbose', ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: kit },
);
process.exit(run.status ?? 1);
