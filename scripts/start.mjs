// `pnpm start [--runtime node|bun|deno]`: the framewire demo (apps/demo) on
// 127.0.0.1:8080 (PORT and HOST env override): the page, a chat at /chat and
// an echo at /echo, with permessage-deflate, live counters and close codes,
// served by the chosen runtime's adapter. Builds the packages and the demo
// first when their dist is missing (a fresh clone right after `pnpm
// install`). Ctrl-C or SIGTERM closes gracefully: every WebSocket gets 1001
// and its close handshake is awaited (up to 2 s) before the process exits.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root, runChild } from './echo-server.mjs';

const demo = join(root, 'apps/demo');
// The real Deno binary: node_modules/.bin/deno is a Node wrapper that forwards no signal.
const denoBinary = existsSync(join(root, 'node_modules/deno/deno')) ? join(root, 'node_modules/deno/deno') : join(root, 'node_modules/.bin/deno');
const runtimes = {
  node: { executable: process.execPath, args: () => [join(demo, 'dist/node-main.js')], adapter: 'node-adapter' },
  bun: { executable: join(root, 'node_modules/.bin/bun'), args: () => ['run', join(demo, 'dist/bun-main.js')], adapter: 'bun-adapter' },
  deno: {
    executable: denoBinary,
    // Narrowest permissions: listen on HOST only, read the repository (modules and the page), two env vars.
    args: (host) => ['run', `--allow-net=${host}`, `--allow-read=${root}`, '--allow-env=PORT,HOST', '--no-prompt', join(demo, 'dist/deno-main.js')],
    adapter: 'deno-adapter',
  },
};

let values;
try {
  ({ values } = parseArgs({ options: { runtime: { type: 'string', default: 'node' } }, strict: true }));
} catch (error) {
  console.error(`start: ${error.message}\nusage: pnpm start [--runtime node|bun|deno]`);
  process.exit(2);
}
const runtime = Object.hasOwn(runtimes, values.runtime) ? runtimes[values.runtime] : undefined;
if (runtime === undefined) {
  console.error(`start: unknown --runtime ${values.runtime} (one of: ${Object.keys(runtimes).join(', ')})`);
  process.exit(2);
}

// The demo's dist and its adapter's (turbo builds the codec they import on the way).
const built = [join(demo, 'dist', `${values.runtime}-main.js`), join(root, 'packages', runtime.adapter, 'dist/index.js'), join(root, 'packages/codec/dist/adapter/index.js')];
if (!built.every((file) => existsSync(file))) {
  console.error('building the demo (dist missing)...');
  const result = spawnSync(join(root, 'node_modules/.bin/turbo'), ['run', 'build', '--filter=@framewire/demo', '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) {
    console.error(`build failed (turbo exit ${result.status ?? result.signal}); run \`pnpm build\` to see why`);
    process.exit(1);
  }
}

runChild(runtime.executable, runtime.args(process.env.HOST || '127.0.0.1'));
