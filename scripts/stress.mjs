// `pnpm stress --runtime node|bun|deno|deno-serve|bun-serve|all [--ci] [flags]`
// `pnpm stress --url ws://127.0.0.1:N/ [--pid P] [--ci] [flags]`
//
// The fault and stress suite of issue 15 (packages/testkit/src/stress/),
// run from outside over raw TCP against the echo server of a runtime. For
// --runtime this script starts the echo server itself (the same command as
// `pnpm echo-server`, run directly so the suite knows the runtime's own PID
// for /proc/PID/status and SIGTERM), waits for READY, runs the checks, stops
// it with SIGTERM and writes packages/testkit/reports/stress-<runtime>.json.
// Exit code 1 when any check fails, 2 on a usage error.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, root, runtimeCommand } from './echo-server.mjs';

const READY_TIMEOUT_MS = 60_000;

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The runtime's own process under `pid`: follow single children down
 * (a wrapper that forks instead of exec'ing would otherwise be measured).
 */
function runtimePid(pid) {
  let current = pid;
  for (let depth = 0; depth < 4; depth++) {
    let children = [];
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'latin1').trim().split(/\s+/).filter(Boolean);
    } catch {
      return current;
    }
    if (children.length !== 1) return current;
    current = Number(children[0]);
  }
  return current;
}

/** Start the echo server of `runtime` on a free port; resolves once it printed READY. */
async function launch(runtime) {
  const command = runtimeCommand(runtime, 'echo-server');
  ensureBuilt(command.folder);
  const port = await freePort();
  const child = spawn(command.executable, [...command.args, '--port', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Keep a bounded tail of what the server prints, for crash reports.
  const keep = (data) => {
    output = (output + data.toString('utf8')).slice(-8192);
  };
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} echo server printed no READY within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    let seen = '';
    child.stdout.on('data', (data) => {
      keep(data);
      seen += data.toString('utf8');
      if (/^READY$/m.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} echo server exited (${code ?? signal}) before READY:\n${output}`));
    });
    child.once('error', reject);
  });
  // Give a forking wrapper a moment to settle before its children are read.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const pid = runtimePid(child.pid);
  console.error(`[${runtime}] echo server on ws://127.0.0.1:${port}/ (pid ${pid})`);
  return {
    url: new URL(`ws://127.0.0.1:${port}/`),
    pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

ensureBuilt('testkit');
const { stressMain } = await import(pathToFileURL(join(root, 'packages', 'testkit', 'dist', 'index.js')).href);
// Limits of a server path that framewire cannot fix (each with its reason; see the adapter READMEs).
const knownFailures = JSON.parse(readFileSync(join(root, 'packages', 'testkit', 'stress.known-failures.json'), 'utf8'));
process.exitCode = await stressMain(process.argv.slice(2), launch, join(root, 'packages', 'testkit', 'reports'), knownFailures);
