// The parts of `pnpm start --cluster N` (scripts/start.mjs) that run outside
// the demo: a throwaway redis-server when no --redis is given, and on Bun and
// Deno the N processes listening on one port with SO_REUSEPORT (on Node the
// demo's own node:cluster primary forks the workers, apps/demo/src/node-cluster.ts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Most processes `--cluster` takes. */
export const MAX_PROCESSES = 64;
const REDIS_START_MS = 10_000;
const CHILD_START_MS = 60_000;
const CHILD_STOP_MS = 10_000;

/** `--cluster N` as a number, or an error message. */
export function parseClusterSize(text) {
  const size = Number(text);
  if (!/^\d{1,2}$/.test(text) || size < 1 || size > MAX_PROCESSES) return { error: `--cluster takes a number of processes from 1 to ${MAX_PROCESSES}, got ${JSON.stringify(text)}` };
  return { size };
}

/** A port nobody listens on right now (on `host`). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const REDIS_SERVER = process.env.FW_REDIS_SERVER || 'redis-server';

/**
 * Start redis-server on a free 127.0.0.1 port in a temp folder, without
 * persistence. Resolves `{ url, stop }`; rejects with a message saying how to
 * install it (or to pass --redis) when it is missing.
 */
export async function startRedis() {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
  if (probe.error !== undefined) {
    throw new Error(`${REDIS_SERVER} not found: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or pass --redis redis://HOST:PORT`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fw-demo-redis-'));
  const port = await freePort();
  // Its own process group: a Ctrl-C in the terminal must not stop Redis before the demo's processes have closed.
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  // The last 2 KB of what it says, for the error message (never an unread pipe that fills up).
  let said = '';
  child.stderr.on('data', (chunk) => (said = (said + chunk.toString()).slice(-2048)));
  let failed;
  child.once('error', (error) => (failed = error));
  child.once('exit', (code, signal) => (failed ??= new Error(`redis-server exited (${code ?? signal})${said ? `:\n${said}` : ''}`)));
  const gone = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(late);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + REDIS_START_MS;
  for (;;) {
    if (failed !== undefined) {
      await stop();
      throw new Error(`could not start redis-server: ${failed.message}`);
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not listen on 127.0.0.1:${port} within ${REDIS_START_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop };
}

/**
 * Run `size` demo processes (Bun or Deno) on one port: each gets
 * FW_DEMO_WORKER / FW_DEMO_PROCESSES / FW_DEMO_REDIS and listens with
 * SO_REUSEPORT. Prints the URL and READY once all say `process I/N … ready`,
 * forwards SIGINT/SIGTERM, waits for every one to stop. Resolves with the
 * exit code to use (0 when every process stopped cleanly).
 */
export function runProcesses({ executable, args, size, env, url, label: runtimeName }) {
  let label = runtimeName;
  return new Promise((resolve) => {
    const children = [];
    let ready = 0;
    let started = false;
    let stopping = false;
    let exited = 0;
    let worst = 0;
    const killAll = (signal) => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const startTimer = setTimeout(() => {
      console.error(`not all ${size} processes listened within ${CHILD_START_MS / 1000} s`);
      worst = 1;
      stopping = true;
      killAll('SIGKILL');
    }, CHILD_START_MS);
    const stop = (signal) => {
      if (stopping) {
        killAll(signal);
        return;
      }
      stopping = true;
      console.log(`\n${signal}: stopping ${size} processes...`);
      killAll(signal);
      setTimeout(() => killAll('SIGKILL'), CHILD_STOP_MS).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    for (let index = 1; index <= size; index++) {
      const child = spawn(executable, args, {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...env, FW_DEMO_WORKER: String(index), FW_DEMO_PROCESSES: String(size) },
      });
      children.push(child);
      createInterface({ input: child.stdout }).on('line', (line) => {
        console.log(line);
        const version = /^process \d+\/\d+ pid \d+ ready \((.+)\)$/.exec(line)?.[1];
        if (version !== undefined) label = version;
        if (version !== undefined && ++ready === size && !stopping) {
          started = true;
          clearTimeout(startTimer);
          console.log(`framewire demo on ${label}, ${size} processes (SO_REUSEPORT): ${url}  (chat ${url.replace(/^http/, 'ws')}chat, echo ${url.replace(/^http/, 'ws')}echo)`);
          console.log('Ctrl-C to stop');
          console.log('READY');
        }
      });
      child.on('error', (error) => console.error(`could not start ${executable}: ${error.message}`));
      child.on('exit', (code, signal) => {
        exited++;
        if (code !== 0) worst = 1;
        if (!stopping) {
          console.error(`process ${index} (pid ${child.pid}) exited (${code ?? signal})${started ? '' : ' before listening'}`);
          // Before READY one failure fails the start; after it the others keep serving.
          if (!started) stop('SIGTERM');
        }
        if (exited === size) {
          clearTimeout(startTimer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          if (started && worst === 0) console.log('all processes closed');
          resolve(started ? worst : 1);
        }
      });
    }
  });
}
