// `node bench/fanout.mjs [--quick] [--servers fw-node,ws-loop,fw-bun,bun-native,fw-node-shared,fw-node-own,ws-loop-deflate] [--subscribers 1000,10000]`:
// the fan-out benchmark on its own (pnpm bench runs it too). Prints the
// markdown table; needs `pnpm build` first. See bench/README.md.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllChildren } from './lib/children.mjs';
import { renderFanoutMarkdown, runFanout } from './lib/fanout.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
};
try {
  const results = await runFanout({
    root,
    quick: argv.includes('--quick'),
    log: (line) => process.stderr.write(`${line}\n`),
    only: option('servers')?.split(','),
    scales: option('subscribers')?.split(',').map(Number),
  });
  console.log(renderFanoutMarkdown(results));
  killAllChildren('SIGKILL');
  process.exit(0);
} catch (error) {
  console.error(`fan-out bench failed: ${error.stack ?? error}`);
  killAllChildren('SIGKILL');
  process.exit(1);
}
