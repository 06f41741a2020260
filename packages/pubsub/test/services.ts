/**
 * Real Redis and NATS servers for tests: each starts on a free 127.0.0.1
 * port in its own temp folder, and `stop()` kills it and removes the folder.
 * Other packages' tests import this file by relative path
 * (`../../pubsub/test/services.js`). A missing binary makes `start…` reject:
 * the test fails, it is never skipped.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.FW_REDIS_SERVER ?? 'redis-server';
export const NATS_SERVER = process.env.FW_NATS_SERVER ?? '/usr/sbin/nats-server';

/** A running service. */
export interface Service {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` or `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its data folder (kept across `restart`). */
  readonly dir: string;
  /** SIGKILL: the abrupt outage. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (after `kill`). */
  restart(): Promise<void>;
  /** Kills it (if running) and removes its folder. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startService(name: string, command: string, args: (port: number, dir: string) => string[], scheme: string, extraWait?: (port: number) => Promise<void>): Promise<Service> {
  const dir = mkdtempSync(join(tmpdir(), `fw-${name}-`));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async (): Promise<void> => {
    output = '';
    const started = spawn(command, args(port, dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    started.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    let failed: Error | undefined;
    started.once('error', (error) => (failed = new Error(`${name}: cannot start ${command}: ${error.message}`)));
    started.once('exit', (code) => (failed ??= new Error(`${name} exited with ${code} before listening:\n${output}`)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (failed !== undefined) throw failed;
      if (await portAccepts(port)) break;
      if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port} within 20 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await extraWait?.(port);
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await gone;
  };
  try {
    await launch();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    dir,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Options of {@link startRedis}. */
export interface RedisServiceOptions {
  /** Keep data across `restart` (append-only file, fsync always). Default false (`--save '' --appendonly no`). */
  persist?: boolean;
}

/** `redis-server` on a free port, no persistence unless asked. */
export function startRedis(options: RedisServiceOptions = {}): Promise<Service> {
  const persistence = options.persist === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  return startService('redis', REDIS_SERVER, (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir], 'redis');
}

/** Options of {@link startNats}. */
export interface NatsServiceOptions {
  /** Enable JetStream with its store in the service folder (kept across `restart`). */
  jetstream?: boolean;
}

/** `nats-server` on a free port, with JetStream if asked. */
export function startNats(options: NatsServiceOptions = {}): Promise<Service> {
  return startService(
    'nats',
    NATS_SERVER,
    (port, dir) => ['-a', '127.0.0.1', '-p', String(port), ...(options.jetstream === true ? ['-js', '-sd', dir] : [])],
    'nats',
  );
}
