// `pnpm echo-server --runtime node|deno|deno-serve|bun|bun-serve --port N [--tls]`
// `pnpm echo-server --runtime node --http2 --port N` (TLS, h2 + http/1.1, RFC 8441)
//
// Dispatcher for the echo server every runtime provides (the root README's
// "Entry points"): it builds the packages when their dist is
// missing, makes a self-signed certificate for --tls, then runs the runtime's
// own echo script as a child process with stdout passed straight through
// (the child prints READY), forwards SIGINT/SIGTERM and exits with the
// child's code.
//
// Each runtime's script takes `--port N [--cert PATH --key PATH]` (server) or
// `URL [--ca PATH]` (client):
//   node        packages/node-adapter/bin/echo-{server,client}.mjs         (node)
//   deno        packages/deno-adapter/bin/echo-{server,client}.ts          (deno run --allow-net=127.0.0.1 --allow-read)
//   deno-serve  packages/deno-adapter/bin/echo-server.ts --serve           (deno run --allow-net=127.0.0.1 --allow-read)
//   bun         packages/bun-adapter/bin/echo-{server,client}.ts           (bun run)
//   bun-serve   packages/bun-adapter/bin/echo-server.ts --serve            (bun run)
//
// The helpers are exported for scripts/echo-client.mjs and scripts/start.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** Repository root (this file lives in scripts/). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The real Deno binary from the npm package: node_modules/.bin/deno is a Node
// wrapper (spawnSync) that forwards no signal, so SIGTERM would orphan the server.
const denoBinary = () => {
  const real = join(root, 'node_modules', 'deno', 'deno');
  return existsSync(real) ? real : join(root, 'node_modules/.bin/deno');
};
// Narrowest permissions: loopback only; read for the repository (modules) and the --tls certificate.
const denoRun = () => ['run', '--allow-net=127.0.0.1', `--allow-read=${root},${tmpdir()}`, '--no-prompt'];

const runtimes = {
  node: { folder: 'node-adapter', ext: 'mjs', executable: () => process.execPath, pre: [], post: [] },
  deno: { folder: 'deno-adapter', ext: 'ts', executable: denoBinary, pre: denoRun(), post: [] },
  'deno-serve': { folder: 'deno-adapter', ext: 'ts', executable: denoBinary, pre: denoRun(), post: ['--serve'], serverOnly: true },
  bun: { folder: 'bun-adapter', ext: 'ts', executable: () => join(root, 'node_modules/.bin/bun'), pre: ['run'], post: [] },
  'bun-serve': { folder: 'bun-adapter', ext: 'ts', executable: () => join(root, 'node_modules/.bin/bun'), pre: ['run'], post: ['--serve'], serverOnly: true },
};

/**
 * The command that runs `program` ('echo-server' | 'echo-client') on `runtime`.
 * Exits with code 2 and a clear message when the runtime's script is not there yet.
 */
export function runtimeCommand(runtime, program) {
  const entry = Object.hasOwn(runtimes, runtime) ? runtimes[runtime] : undefined;
  if (entry === undefined || (entry.serverOnly && program !== 'echo-server')) {
    const names = Object.keys(runtimes).filter((name) => program === 'echo-server' || !runtimes[name].serverOnly);
    console.error(`${program}: unknown --runtime ${runtime} (one of: ${names.join(', ')})`);
    process.exit(2);
  }
  const script = join(root, 'packages', entry.folder, 'bin', `${program}.${entry.ext}`);
  if (!existsSync(script)) {
    console.error(`${program}: runtime ${runtime} not available yet (${script} is missing)`);
    process.exit(2);
  }
  return { executable: entry.executable(), args: [...entry.pre, script, ...entry.post], folder: entry.folder };
}

/**
 * Build the packages a runtime's scripts import (the codec and the runtime's
 * adapter) through the local turbo when their dist is missing (a fresh clone
 * right after `pnpm install`). turbo's output goes to stderr so stdout stays
 * clean for harnesses waiting for READY.
 */
/** The built file behind a package's main export (its `exports['.'].import`). */
function builtEntry(name) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  return join(root, 'packages', name, pkg.exports?.['.']?.import ?? 'dist/index.js');
}

export function ensureBuilt(folder = 'node-adapter') {
  // The echo programs take their behaviour from @framewire/testkit/echo.
  const packages = ['codec', 'testkit', folder];
  const missing = packages.filter(
    (name) => existsSync(join(root, 'packages', name, 'package.json')) && !existsSync(builtEntry(name)),
  );
  if (missing.length === 0) return;
  console.error(`building ${missing.join(', ')} (dist missing)...`);
  const turbo = join(root, 'node_modules', '.bin', 'turbo');
  const filters = missing.map((name) => `--filter=@framewire/${name}`);
  const result = spawnSync(turbo, ['run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) {
    console.error(`build failed (turbo exit ${result.status ?? result.signal}); run \`pnpm build\` to see why`);
    process.exit(1);
  }
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost (P-256, valid one
 * day) in a fresh temp folder. Node has no certificate generator, so this
 * runs the system's openssl.
 */
export function makeSelfSignedCert() {
  const dir = mkdtempSync(join(tmpdir(), 'framewire-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      // Not a CA: rustls (Deno's TLS) refuses a CA certificate as a server's own.
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-keyout', keyPath, '-out', certPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (result.error !== undefined || result.status !== 0) {
    console.error(`could not generate a TLS certificate with openssl: ${result.error?.message ?? result.stderr.toString()}`);
    process.exit(2);
  }
  return { dir, keyPath, certPath, key: readFileSync(keyPath), cert: readFileSync(certPath) };
}

/**
 * Run a child with stdio passed through, forward SIGINT/SIGTERM to it and
 * exit with its exit code (128 + signal number when a signal killed it).
 */
export function runChild(executable, args) {
  const child = spawn(executable, args, { stdio: 'inherit', cwd: root });
  const forward = (signal) => {
    // Ctrl-C reaches the whole process group; forwarding again is harmless
    // because the child's shutdown is idempotent.
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (error) => {
    console.error(`could not start ${executable}: ${error.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (code !== null) process.exit(code);
    const signals = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };
    process.exit(128 + (signals[signal] ?? 1));
  });
  return child;
}

function main() {
  const { values } = parseArgs({
    options: {
      runtime: { type: 'string', default: 'node' },
      port: { type: 'string', default: '9001' },
      tls: { type: 'boolean', default: false },
      http2: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`echo-server: bad --port ${values.port}`);
    process.exit(2);
  }
  const command = runtimeCommand(values.runtime, 'echo-server');
  const args = [...command.args, '--port', String(port)];
  if (values.http2 && values.runtime !== 'node') {
    console.error(`echo-server: --http2 is for --runtime node (${values.runtime} has no extended CONNECT server; see its README)`);
    process.exit(2);
  }
  if (values.http2) args.push('--http2');
  if (values.tls || values.http2) {
    const cert = makeSelfSignedCert();
    console.log(`# TLS: self-signed certificate ${cert.certPath} (clients pass it as their CA, e.g. echo-client --ca ${cert.certPath})`);
    args.push('--cert', cert.certPath, '--key', cert.keyPath);
  }
  ensureBuilt(command.folder);
  runChild(command.executable, args);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
