// `pnpm start [--runtime node|bun|deno] [--cluster N [--redis URL]]`: the
// framewire demo (apps/demo) on 127.0.0.1:8080 (PORT and HOST env override):
// the page, a chat at /chat and an echo at /echo, with permessage-deflate,
// live counters and close codes, served by the chosen runtime's adapter.
// Builds the packages and the demo first when their dist is missing (a fresh
// clone right after `pnpm install`). Ctrl-C or SIGTERM closes gracefully:
// every WebSocket gets 1001 and its close handshake is awaited (up to 2 s)
// before the process exits.
//
// `--cluster N` (1-64) runs N server processes behind the one port (Node:
// node:cluster; Bun and Deno: N processes with SO_REUSEPORT) sharing the
// chat through Redis: `--redis URL`, or a redis-server this script starts
// on a free port in a temp folder and stops on exit (scripts/demo-cluster.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseClusterSize, freePort, runProcesses, startRedis } from './demo-cluster.mjs';
import { root, runChild } from './echo-server.mjs';

const demo = join(root, 'apps/demo');
// The real Deno binary: node_modules/.bin/deno is a Node wrapper that forwards no signal.
const denoBinary = existsSync(join(root, 'node_modules/deno/deno')) ? join(root, 'node_modules/deno/deno') : join(root, 'node_modules/.bin/deno');
const runtimes = {
  node: { executable: process.execPath, args: () => [join(demo, 'dist/node-main.js')], adapter: 'node-adapter' },
  bun: { executable: join(root, 'node_modules/.bin/bun'), args: () => ['run', join(demo, 'dist/bun-main.js')], adapter: 'bun-adapter' },
  deno: {
    executable: denoBinary,
    // Narrowest permissions: listen on HOST only, read the repository (modules and the page), the demo's env vars
    // (the cluster's are read, unset, by every process). In a cluster: also the Redis host, one env var node-redis
    // reads, and --unstable-net, which Deno 2 wants for `Deno.listen({ reusePort })`.
    args: (host, redis) =>
      redis === undefined
        ? ['run', `--allow-net=${host}`, `--allow-read=${root}`, '--allow-env=PORT,HOST,FW_DEMO_WORKER,FW_DEMO_PROCESSES,FW_DEMO_REDIS', '--no-prompt', join(demo, 'dist/deno-main.js')]
        : [
            'run',
            '--unstable-net',
            `--allow-net=${host},${new URL(redis).host}`,
            `--allow-read=${root}`,
            '--allow-env=PORT,HOST,FW_DEMO_WORKER,FW_DEMO_PROCESSES,FW_DEMO_REDIS,REDIS_DEBUG_MAINTENANCE',
            '--no-prompt',
            join(demo, 'dist/deno-main.js'),
          ],
    adapter: 'deno-adapter',
  },
};

const usage = 'usage: pnpm start [--runtime node|bun|deno] [--cluster N [--redis URL]]';
let values;
try {
  ({ values } = parseArgs({ options: { runtime: { type: 'string', default: 'node' }, cluster: { type: 'string' }, redis: { type: 'string' } }, strict: true }));
} catch (error) {
  console.error(`start: ${error.message}\n${usage}`);
  process.exit(2);
}
const runtime = Object.hasOwn(runtimes, values.runtime) ? runtimes[values.runtime] : undefined;
if (runtime === undefined) {
  console.error(`start: unknown --runtime ${values.runtime} (one of: ${Object.keys(runtimes).join(', ')})`);
  process.exit(2);
}
let clusterSize;
if (values.cluster !== undefined) {
  const parsed = parseClusterSize(values.cluster);
  if (parsed.error !== undefined) {
    console.error(`start: ${parsed.error}\n${usage}`);
    process.exit(2);
  }
  clusterSize = parsed.size;
}
if (values.redis !== undefined && clusterSize === undefined) {
  console.error(`start: --redis is for --cluster N (one process uses the in-memory broker)\n${usage}`);
  process.exit(2);
}
if (values.redis !== undefined && !/^rediss?:\/\/[^/]/.test(values.redis)) {
  console.error(`start: --redis takes a redis:// URL, got ${JSON.stringify(values.redis)}`);
  process.exit(2);
}

// The demo's dist and its adapter's (turbo builds the codec they import on the way).
const built = [
  join(demo, 'dist', `${values.runtime}-main.js`),
  join(root, 'packages', runtime.adapter, 'dist/index.js'),
  join(root, 'packages/codec/dist/adapter/index.js'),
  join(root, 'packages/pubsub/dist/index.js'),
];
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

const host = process.env.HOST || '127.0.0.1';
if (clusterSize === undefined) {
  runChild(runtime.executable, runtime.args(host));
} else {
  await runCluster(clusterSize);
}

/** `--cluster N`: Redis (given or started here), then the N processes; exits with their verdict. */
async function runCluster(size) {
  let redis;
  if (values.redis === undefined) {
    // A signal while redis-server starts: let it finish starting, then stop it rather than leave it behind.
    let signalled;
    const early = (signal) => (signalled = signal);
    process.on('SIGINT', early);
    process.on('SIGTERM', early);
    try {
      redis = await startRedis();
    } catch (error) {
      console.error(`start: ${error.message}`);
      process.exit(1);
    } finally {
      process.off('SIGINT', early);
      process.off('SIGTERM', early);
    }
    if (signalled !== undefined) {
      await redis.stop();
      process.exit(1);
    }
    console.log(`redis-server (pid ${redis.pid}) on ${redis.url}, stopped on exit`);
  }
  const redisUrl = values.redis ?? redis.url;
  let code;
  if (values.runtime === 'node') {
    code = await new Promise((resolve) => {
      const child = runChildKeep(runtime.executable, runtime.args(host), { FW_DEMO_CLUSTER: String(size), FW_DEMO_REDIS: redisUrl });
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128 + 15)));
      child.on('error', () => resolve(2));
    });
  } else {
    // SO_REUSEPORT needs one concrete port for all N (port 0 would give each its own).
    let port = process.env.PORT || '8080';
    if (port === '0') port = String(await freePort(host));
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    code = await runProcesses({
      executable: runtime.executable,
      args: runtime.args(host, redisUrl),
      size,
      env: { PORT: port, HOST: host, FW_DEMO_REDIS: redisUrl },
      url,
      label: `${values.runtime}`,
    });
  }
  await redis?.stop();
  process.exit(code);
}

/** Like runChild, but leaves the exit to the caller (Redis is stopped after the child). */
function runChildKeep(executable, args, env) {
  const child = spawn(executable, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (error) => console.error(`could not start ${executable}: ${error.message}`));
  return child;
}
