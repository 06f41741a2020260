/**
 * What the three runtime entries share: reading `HOST`/`PORT`, starting the
 * demo, printing its URL, and the graceful stop on Ctrl-C or SIGTERM (1001
 * to every WebSocket, their close handshakes awaited up to 2 s). It uses
 * `node:process`, which Node, Bun and Deno all provide.
 *
 * In a cluster (`pnpm start --cluster N`) each process runs this with
 * `FW_DEMO_WORKER` (its index, 1..N), `FW_DEMO_PROCESSES` (N) and
 * `FW_DEMO_REDIS` (the broker's Redis URL) set; it prints
 * `process I/N pid P ready (RUNTIME VERSION)` instead of the URL and `READY`, which the
 * launcher prints once all N listen.
 *
 * @module
 */
import process from 'node:process';
import { MemoryBroker, type Broker } from '@framewire/codec/adapter';
import { loadAssets } from './assets.js';
import { Demo, type RuntimeName } from './demo.js';

/** A started server, as an entry returns it. */
export interface RunningDemo {
  /** The page's URL, `http://host:port/`. */
  readonly url: string;
  /** Where the WebSockets listen, `ws://host:port/` (the page's port on every runtime). */
  readonly webSocketUrl: string;
  /** Open WebSocket connections (for the goodbye line). */
  readonly connections: () => number;
  /** Stop listening, 1001 to every WebSocket, wait up to `timeout` ms for their close handshakes. */
  readonly close: (timeout: number) => Promise<void>;
}

/** Where a runtime's servers run and what they share. */
export interface StartOptions {
  /** The broker the servers publish through (the one the demo got). */
  readonly broker: Broker;
  /** Listen with `SO_REUSEPORT` (Bun and Deno clusters: several processes on one port). */
  readonly reusePort: boolean;
}

/** Starts a runtime's servers around `demo` on `host:port` (port 0 picks one). */
export type StartDemo = (demo: Demo, host: string, port: number, options: StartOptions) => Promise<RunningDemo>;

/** Most processes `--cluster` takes. */
export const MAX_PROCESSES = 64;

/** This process's place in a cluster, from the environment (`undefined` when alone). */
export interface ClusterPlace {
  /** 1..processes. */
  readonly worker: number;
  readonly processes: number;
  /** The Redis the cluster's broker uses. */
  readonly redis: string;
}

/** Read `FW_DEMO_WORKER`, `FW_DEMO_PROCESSES` and `FW_DEMO_REDIS`; throws a RangeError when they do not fit. */
export function clusterPlaceFromEnv(env: Readonly<Record<string, string | undefined>>): ClusterPlace | undefined {
  const worker = env['FW_DEMO_WORKER'];
  if (worker === undefined || worker === '') return undefined;
  const processes = env['FW_DEMO_PROCESSES'] ?? '';
  const redis = env['FW_DEMO_REDIS'] ?? '';
  if (!/^\d{1,2}$/.test(processes) || Number(processes) < 1 || Number(processes) > MAX_PROCESSES) {
    throw new RangeError(`FW_DEMO_PROCESSES must be 1-${MAX_PROCESSES}, got ${JSON.stringify(processes)}`);
  }
  if (!/^\d{1,2}$/.test(worker) || Number(worker) < 1 || Number(worker) > Number(processes)) {
    throw new RangeError(`FW_DEMO_WORKER must be 1-${processes}, got ${JSON.stringify(worker)}`);
  }
  if (!/^rediss?:\/\//.test(redis)) throw new RangeError(`FW_DEMO_REDIS must be a redis:// URL, got ${JSON.stringify(redis)}`);
  return { worker: Number(worker), processes: Number(processes), redis };
}

/** How long a cluster process waits for Redis before giving up. */
const REDIS_READY_MS = 10_000;

/** A broker and how to let it go. */
interface OpenBroker {
  readonly broker: Broker;
  readonly close: () => Promise<void>;
}

async function openBroker(place: ClusterPlace | undefined, onError: (error: Error) => void): Promise<OpenBroker> {
  if (place === undefined) return { broker: new MemoryBroker(), close: () => Promise.resolve() };
  // Loaded only in a cluster: one process needs no Redis client.
  const { RedisBroker } = await import('@framewire/pubsub');
  const broker = new RedisBroker({ url: place.redis, onError });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis at ${place.redis} within ${REDIS_READY_MS / 1000} s`)), REDIS_READY_MS);
  });
  try {
    await Promise.race([broker.ready(), late]);
  } catch (error) {
    await broker.close().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { broker, close: () => broker.close() };
}

/** The address to listen on, from `HOST` (default 127.0.0.1) and `PORT` (default 8080; 0 picks a free one). */
export function listenAddressFromEnv(env: Readonly<Record<string, string | undefined>>): { host: string; port: number } {
  const host = env['HOST'] === undefined || env['HOST'] === '' ? '127.0.0.1' : env['HOST'];
  const raw = env['PORT'] === undefined || env['PORT'] === '' ? '8080' : env['PORT'];
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new RangeError(`PORT must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  return { host, port };
}

/** `http://host:port/`, with brackets around an IPv6 host. */
export function pageUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/**
 * Run the demo on `runtime` until Ctrl-C or SIGTERM. Prints the URL, then
 * `READY` on a line of its own (what the tests and harnesses wait for).
 * Exits 1 with a message when the port cannot be taken.
 */
export async function runDemo(runtime: RuntimeName, runtimeVersion: string, start: StartDemo): Promise<void> {
  let running: RunningDemo;
  let demo: Demo | undefined;
  let address: { host: string; port: number } | undefined;
  let place: ClusterPlace | undefined;
  let opened: OpenBroker | undefined;
  // Broker outages are reported, never fatal: the clients reconnect by themselves.
  let lastBrokerError = '';
  const onBrokerError = (error: Error): void => {
    if (error.message === lastBrokerError) return;
    lastBrokerError = error.message;
    console.error(`broker: ${error.message}`);
  };
  try {
    address = listenAddressFromEnv(process.env);
    place = clusterPlaceFromEnv(process.env);
    opened = await openBroker(place, onBrokerError);
    demo = new Demo({
      runtime,
      runtimeVersion,
      assets: await loadAssets(),
      broker: opened.broker,
      servedBy: { pid: process.pid, worker: place?.worker ?? 0 },
      processes: place?.processes ?? 1,
      onBrokerError,
    });
    running = await start(demo, address.host, address.port, { broker: opened.broker, reusePort: place !== undefined && runtime !== 'node' });
  } catch (error) {
    demo?.dispose();
    await opened?.close().catch(() => {});
    const where = address === undefined ? '' : ` on ${address.host}:${address.port}`;
    console.error(`could not start the demo${where}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const ws = running.webSocketUrl;
  if (place === undefined) {
    console.log(`framewire demo on ${runtime} ${runtimeVersion}: ${running.url}  (chat ${ws}chat, echo ${ws}echo)`);
    console.log('Ctrl-C to stop');
    console.log('READY');
  } else {
    console.log(`process ${place.worker}/${place.processes} pid ${process.pid} ready (${runtime} ${runtimeVersion})`);
    // A node:cluster worker tells its primary too, so READY comes after every ready line.
    process.send?.({ type: 'framewire-demo-ready' });
  }
  const broker = opened;
  // In a cluster the goodbye lines say whose they are.
  const who = place === undefined ? '' : `process ${place.worker}: `;

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${who}${signal}: closing ${running.connections()} connection(s) with 1001...`);
    await running.close(2000);
    await demo.close();
    await broker.close().catch(() => {});
    console.log(`${who}closed`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
