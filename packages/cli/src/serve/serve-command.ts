/**
 * `framewire serve [options] -- PROGRAM [ARGS…]`: the websocketd-style
 * server. Per connection (default) each client gets its own PROGRAM;
 * `--shared` runs one for all. Prints `READY` on stderr once listening;
 * SIGINT/SIGTERM close every client with 1001 and stop every program.
 *
 * @module
 */
import { accept, reject, type Session, type UpgradeRequest } from '@framewire/codec/adapter';
import { stderrLog, type Log } from '../log.js';
import { currentRuntime } from '../runtime/current-runtime.js';
import { checkAccess, forkLimit } from './access.js';
import { cgiEnvironment, SERVER_SOFTWARE } from './cgi-env.js';
import { bridgeConnection } from './connection-bridge.js';
import { runtimeSpawner, type Spawner } from './program-child.js';
import { liveProgramCount, ProgramProcess, stopAllPrograms } from './program-process.js';
import { matchRoute } from './routes.js';
import type { ServeConfig } from './serve-config.js';
import { SharedProgram } from './shared-program.js';
import { SpawnHelper, spawnHelperPath } from './spawn-helper.js';
import { startHost, type Host, type Peer } from './ws-host.js';

/** A running `serve`: its port, and how to stop it. */
export interface RunningServe {
  readonly host: Host;
  readonly shared: SharedProgram | undefined;
  /** 1001 to every client, stop programs (EOF, SIGTERM, SIGKILL; `force`: SIGKILL now), close the listener. */
  stop(force?: boolean): Promise<void>;
}

/** Start serving per `config`; resolves once listening (and `READY` is printed). */
export async function startServe(config: ServeConfig, log: Log = stderrLog(config.quiet)): Promise<RunningServe> {
  let nextId = 0;
  // Each process.env read is a getenv call: copy the passed-through variables once, not per connection.
  const parentEnv = Object.fromEntries(config.passEnv.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name]]] : [])));
  // The shared program publishes through the host, which starts after it is made (and before it starts).
  let publish: Pick<Host, 'publish' | 'publishBatch'> = { publish: () => 0, publishBatch: () => 0 };
  const shared = config.shared
    ? sharedProgram(config, log, {
        publish: (topic, data, binary) => publish.publish(topic, data, binary),
        publishBatch: (topic, messages, binary) => publish.publishBatch(topic, messages, binary),
      })
    : undefined;
  const helper = config.shared ? undefined : await startSpawnHelper(config, log);
  // A helper that dies takes no connection with it: later programs start with the runtime's spawn.
  const spawner: Spawner = helper === undefined ? runtimeSpawner : { spawn: (...args) => (helper.alive ? helper : runtimeSpawner).spawn(...args) };
  const host = await startHost({
    port: config.port,
    host: config.host,
    tls: config.tls,
    deflate: config.deflate,
    heartbeatMs: config.heartbeatMs,
    protocols: config.protocols,
    staticDir: config.staticDir,
    maxPayload: config.maxPayload,
    metrics: config.metrics,
    // The shared program closes a client over its queue limit before each stdout chunk; this hard
    // stop (the publish skips the client) only holds memory if a chunk ever brought far more than that.
    ...(config.shared ? { publishLimitBytes: config.clientQueueBytes + 2 * config.maxLineBytes + 1024 * 1024 } : {}),
    accept: async (request) => {
      const denied = await checkAccess(request, { origins: config.origins, token: config.token });
      if (denied !== undefined) return denied;
      if (shared !== undefined) return accept();
      if (matchRoute(config.routes, request.path) === undefined) return reject(404, { body: 'no program for this path\n' });
      return forkLimit(liveProgramCount(), config.maxForks) ?? accept();
    },
    onConnection: (session, request, peer) => {
      const id = String(++nextId);
      log.info(`[${id}] connect ${peer.remoteAddress}:${peer.remotePort} ${request.target}`);
      void session.closed.then(({ code }) => log.info(`[${id}] disconnect ${code}`));
      if (shared !== undefined) shared.add(session, id);
      else runProgram(config, log, session, request, peer, id, host.secure, parentEnv, spawner);
    },
  });
  publish = host;
  shared?.start();
  const scheme = host.secure ? 'wss' : 'ws';
  // Always printed, even with --quiet: harnesses read the port from it.
  process.stderr.write(`framewire: serving ${describe(config)} on ${scheme}://${config.host}:${host.port}/ (${currentRuntime()})\nREADY\n`);
  let stopping: Promise<void> | undefined;
  return {
    host,
    shared,
    stop: (force = false) => {
      if (force) return stopAllPrograms(config.stopTimings, true);
      return (stopping ??= (async () => {
        const programs = shared?.stop();
        await host.close(2000);
        await programs;
        await stopAllPrograms(config.stopTimings);
        helper?.close();
      })());
    },
  };
}

function runProgram(
  config: ServeConfig,
  log: Log,
  session: Session,
  request: UpgradeRequest,
  peer: Peer,
  id: string,
  secure: boolean,
  parentEnv: Readonly<Record<string, string | undefined>>,
  spawner: Spawner,
): void {
  const route = matchRoute(config.routes, request.path);
  if (route === undefined) return session.closeWithLibraryCode(1011, 'no program');
  const env = cgiEnvironment(
    {
      remoteAddress: peer.remoteAddress,
      remotePort: peer.remotePort,
      serverName: request.host.replace(/:\d+$/, '') || peer.localAddress,
      serverPort: peer.localPort,
      target: request.target,
      path: request.path,
      query: request.query,
      headers: request.headers,
      protocol: session.protocol,
      secure,
      connectionId: id,
    },
    parentEnv,
    config.passEnv,
    route.prefix,
  );
  let program: ProgramProcess;
  try {
    program = new ProgramProcess(route.program, env, undefined, spawner);
  } catch (error) {
    log.error(`[${id}] cannot start ${route.program.command}: ${(error as Error).message}`);
    return session.closeWithLibraryCode(1011, 'cannot start program');
  }
  void bridgeConnection(session, program, {
    binary: config.binary,
    maxLineBytes: config.maxLineBytes,
    stopTimings: config.stopTimings,
    connectionId: id,
    log,
  });
}

/**
 * The spawn helper for per-connection programs (see spawn-helper.ts), on
 * every runtime: it beats node:child_process on Node (a fork of the whole
 * server) and on Deno, and Bun.spawn too (measured: about 1.1× the
 * connection rate). Undefined with `--no-spawn-helper`, or where the package
 * has no helper for the platform.
 */
async function startSpawnHelper(config: ServeConfig, log: Log): Promise<SpawnHelper | undefined> {
  if (!config.spawnHelper) return undefined;
  const path = spawnHelperPath();
  if (path === undefined) return undefined;
  const fallback = currentRuntime() === 'bun' ? 'Bun.spawn' : 'node:child_process';
  const started = await SpawnHelper.start(path, (reason) => log.error(`${reason}; spawning with ${fallback} from now on`));
  if (started instanceof SpawnHelper) return started;
  log.error(`${started.unavailable}; spawning with ${fallback}`);
  return undefined;
}

function sharedProgram(config: ServeConfig, log: Log, host: Pick<Host, 'publish' | 'publishBatch'>): SharedProgram {
  const route = config.routes[0]!;
  const env: Record<string, string> = { SERVER_SOFTWARE };
  for (const name of config.passEnv) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return new SharedProgram(route.program, env, {
    binary: config.binary,
    tag: config.tag,
    maxLineBytes: config.maxLineBytes,
    clientQueueBytes: config.clientQueueBytes,
    stopTimings: config.stopTimings,
    log,
    publish: host.publish,
    publishBatch: host.publishBatch,
  });
}

function describe(config: ServeConfig): string {
  const programs = config.routes.map((route) => `${route.prefix} → ${[route.program.command, ...route.program.args].join(' ')}`);
  return `${config.shared ? 'one shared program' : 'a program per connection'} (${programs.join('; ')})`;
}

/** Run `serve` until SIGINT/SIGTERM; resolves with the exit code. */
export async function runServe(config: ServeConfig): Promise<number> {
  const running = await startServe(config);
  let signals = 0;
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      // A second Ctrl-C does not wait for the programs' grace periods.
      if (++signals > 1) void running.stop(true);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await running.stop();
  return 0;
}
