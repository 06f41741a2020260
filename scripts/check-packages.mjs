#!/usr/bin/env node
// The install path, checked the way a user meets it (issue 17):
//   1. `pnpm pack` every publishable package (pnpm turns `workspace:*` into
//      real versions), then publint and attw on each tarball;
//   2. `deno publish --dry-run` of the JSR config(s);
//   3. an empty folder outside the workspace, plain `npm install` of the
//      tarballs, and the quick start (server + client, echo one message,
//      close) under Node, Bun and Deno, each with a time limit;
//   4. the installed size of @framewire/node-adapter alone;
//   5. require() of it from a CommonJS file (Node 20.19+ loads ES modules);
// and the CLI from its tarball: `framewire echo` + a piped `framewire connect`.
// Exits non-zero on the first failure. Build the packages first (`pnpm build`).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packages = ['codec', 'node-adapter', 'bun-adapter', 'deno-adapter', 'testkit', 'pubsub', 'cli'];
/** The tarball name of a package folder (the CLI is published as plain `framewire`). */
const tarballPattern = (name) => (name === 'cli' ? /^framewire-\d.*\.tgz$/ : new RegExp(`^framewire-${name}-\\d.*\\.tgz$`));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const denoBin = join(root, 'node_modules', 'deno', 'deno');
const bunBin = bin('bun');
const pnpm = ['npx', '-y', 'pnpm@12.21.0'];
const quiet = {
  ...process.env,
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  TURBO_TELEMETRY_DISABLED: '1',
  npm_config_update_notifier: 'false',
  PNPM_UPDATE_NOTIFIER: 'false',
  DENO_NO_UPDATE_CHECK: '1',
};
const started = Date.now();
const temps = [];

/** Runs a command with a time limit; resolves with its output, rejects on a non-zero exit or timeout. */
function run(cmd, args, { cwd = root, timeout = 120_000, env = quiet } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the whole group: npx, deno and bun wrappers spawn children
      } catch {}
    }, timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const label = `${cmd} ${args.join(' ')}`;
      if (timedOut) reject(new Error(`timed out after ${timeout / 1000} s: ${label}\n${out}`));
      else if (code !== 0) reject(new Error(`exit ${code ?? signal}: ${label}\n${out}`));
      else resolvePromise(out);
    });
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

const step = (text) => console.log(`\n== ${text}`);
const indent = (text) => text.trim().split('\n').map((l) => `   ${l}`).join('\n');

// The quick start with port 0, one file per runtime (only the import differs).
const quickStart = (pkg) => `import { WebSocketServer, connect } from '${pkg}';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
const { port } = await server.listen();

const ws = await connect(\`ws://127.0.0.1:\${port}/chat\`);
ws.send('hello from ${pkg}');
for await (const message of ws) {
  console.log('echo:', message);
  ws.close(1000);
}
await server.close({ timeout: 5000 });
`;

async function main() {
  // 1. pack, publint, attw
  step('pnpm pack');
  const packDir = await tempDir('fw-pack-');
  const tarballs = {};
  for (const name of packages) {
    await run(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', packDir], { cwd: join(root, 'packages', name) });
    const file = (await readdir(packDir)).find((f) => tarballPattern(name).test(f));
    if (!file) throw new Error(`no tarball for ${name}`);
    tarballs[name] = join(packDir, file);
    console.log(`   ${file}`);
  }

  step('publint (strict) and attw (ESM-only profile) on each tarball');
  for (const name of packages) {
    const lint = await run(bin('publint'), ['run', '--strict', tarballs[name]]);
    if (!/All good!/.test(lint)) throw new Error(`publint ${name}:\n${lint}`);
    // ESM-only by design: the profile ignores node10 and require() resolutions.
    await run(bin('attw'), ['--pack', tarballs[name], '--profile', 'esm-only', '--format', 'table-flipped']);
    console.log(`   @framewire/${name}: publint all good, attw no problems`);
  }

  // 2. JSR dry-runs
  step('deno publish --dry-run');
  for (const name of ['codec', 'deno-adapter']) {
    const out = await run(denoBin, ['publish', '--dry-run', '--allow-dirty'], { cwd: join(root, 'packages', name) });
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    const last = plain.trim().split('\n').filter((l) => /Success|Warning|error/i.test(l));
    console.log(`   packages/${name}: ${last.at(-1) ?? 'ok'}`);
  }

  // 3. fresh folder, npm install, quick start on three runtimes
  step('npm install of the tarballs in an empty folder outside the workspace');
  const app = await tempDir('fw-app-');
  await run('npm', ['init', '-y'], { cwd: app });
  const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8'));
  manifest.type = 'module';
  await writeFile(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  const runtimeTarballs = ['codec', 'node-adapter', 'bun-adapter', 'deno-adapter', 'pubsub', 'cli'].map((n) => tarballs[n]);
  await run('npm', ['install', '--no-audit', '--no-fund', ...runtimeTarballs], { cwd: app, timeout: 180_000 });
  console.log(`   ${app}`);
  await writeFile(join(app, 'node.js'), quickStart('@framewire/node-adapter'));
  await writeFile(join(app, 'bun.js'), quickStart('@framewire/bun-adapter'));
  await writeFile(join(app, 'deno.js'), quickStart('@framewire/deno-adapter'));

  const runtimes = [
    ['Node ' + process.version, process.execPath, ['node.js']],
    ['Bun', bunBin, ['bun.js']],
    ['Deno', denoBin, ['run', '--no-prompt', '--allow-net=127.0.0.1', '--allow-read=.', '--allow-env', 'deno.js']],
  ];
  for (const [label, cmd, args] of runtimes) {
    step(`quick start on ${label}`);
    const t0 = Date.now();
    const out = await run(cmd, args, { cwd: app, timeout: 30_000 });
    if (!/echo: hello from @framewire\//.test(out)) throw new Error(`${label}: no echo in the output:\n${out}`);
    console.log(indent(out));
    console.log(`   exit 0 in ${Date.now() - t0} ms`);
  }

  // The CLI as `npx framewire` finds it: an echo server and a piped connect.
  step('npx framewire echo + framewire connect from the installed tarball');
  const cliPort = await freePort();
  const echo = spawn(join(app, 'node_modules', '.bin', 'framewire'), ['echo', '--port', String(cliPort)], { cwd: app, env: quiet, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise((resolveReady, rejectReady) => {
      let said = '';
      const timer = setTimeout(() => rejectReady(new Error(`framewire echo printed no READY: ${said}`)), 30_000);
      echo.stderr.on('data', (chunk) => {
        said += chunk;
        if (/^READY$/m.test(said)) {
          clearTimeout(timer);
          resolveReady();
        }
      });
      echo.once('exit', (code) => rejectReady(new Error(`framewire echo exited ${code}: ${said}`)));
    });
    const echoed = await run('sh', ['-c', `printf 'hello cli\n' | ./node_modules/.bin/framewire connect ws://127.0.0.1:${cliPort}/`], { cwd: app, timeout: 30_000 });
    if (!echoed.includes('hello cli')) throw new Error(`framewire connect did not print the echo:\n${echoed}`);
    console.log(indent(echoed));
  } finally {
    echo.kill('SIGTERM');
  }

  // 4. weight of the node adapter installed alone
  step('installed size of @framewire/node-adapter alone (codec + node-adapter tarballs)');
  const alone = await tempDir('fw-alone-');
  await run('npm', ['init', '-y'], { cwd: alone });
  await run('npm', ['install', '--no-audit', '--no-fund', tarballs['codec'], tarballs['node-adapter']], {
    cwd: alone,
    timeout: 180_000,
  });
  const du = await run('du', ['-sh', 'node_modules'], { cwd: alone });
  const listed = await run('npm', ['ls', '--all', '--parseable'], { cwd: alone });
  const deps = listed.trim().split('\n').slice(1).map((p) => p.slice(p.lastIndexOf('node_modules/') + 13));
  console.log(`   node_modules: ${du.trim().split(/\s+/)[0]} (${deps.length} packages: ${deps.join(', ')})`);

  // 5. CommonJS callers: ESM only, but require(esm) works from Node 20.19 (the README says so).
  step('require() from a CommonJS file (Node 20.19+)');
  await writeFile(
    join(alone, 'require.cjs'),
    "const { WebSocketServer, connect } = require('@framewire/node-adapter');\n" +
      "console.log(`require: ${typeof WebSocketServer} ${typeof connect}`);\n",
  );
  const required = await run(process.execPath, ['--no-warnings', 'require.cjs'], { cwd: alone, timeout: 30_000 });
  if (!required.includes('require: function function')) throw new Error(`require() of the node adapter failed:\n${required}`);
  console.log(indent(required));
}

let failed = false;
try {
  await main();
  console.log(`\ncheck-packages: all green in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  failed = true;
  console.error(`\ncheck-packages: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${error.message ?? error}`);
} finally {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
