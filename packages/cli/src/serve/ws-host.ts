/**
 * Where the CLI's servers get their WebSocket connections: a framewire
 * server of the runtime the CLI runs on, standalone (it reads the upgrade
 * itself and answers other requests with a `fetch` handler: `/metrics`, or
 * 426). On Node with `--staticdir`, an http(s) server with the node adapter
 * attached, so the files share the port. The standalone path skips
 * `node:http`, which measured about 140 µs of the server's CPU per
 * connection on a 2-core machine (an echo, 3,000 connections, 2026-12-04).
 * Adapters are loaded by dynamic import so Node never loads Bun or Deno
 * globals.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Session, UpgradeRequest, AcceptDecision, ServerMetrics } from '@framewire/codec/adapter';
import { CliError } from '../cli-error.js';
import { currentRuntime } from '../runtime/current-runtime.js';

/** The TCP peers of one connection. */
export interface Peer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** What a host needs to know about the server to run. */
export interface HostOptions {
  readonly port: number;
  readonly host: string;
  /** PEM file paths for wss://. */
  readonly tls?: { readonly certPath: string; readonly keyPath: string } | undefined;
  readonly deflate: boolean;
  /** Ping after this many ms of silence; 0 turns the heartbeat off. */
  readonly heartbeatMs: number;
  /** Subprotocols the server speaks, in preference order. */
  readonly protocols: readonly string[];
  /** Serve files from this folder on plain HTTP requests (Node only). */
  readonly staticDir?: string | undefined;
  /** Largest message accepted. */
  readonly maxPayload?: number | undefined;
  /** Answer `GET /metrics` (Prometheus text) on the same port. */
  readonly metrics?: boolean | undefined;
  /** Per-subscriber limit of {@link Host.publish} (bytes queued); over it a publish skips the subscriber. */
  readonly publishLimitBytes?: number | undefined;
  /** Decide on an upgrade (origin, token, max forks, routes). */
  readonly accept: (request: UpgradeRequest, peer: Peer) => AcceptDecision | Promise<AcceptDecision>;
  /** A connection is open. */
  readonly onConnection: (session: Session, request: UpgradeRequest, peer: Peer) => void;
}

/** A listening host. */
export interface Host {
  readonly port: number;
  readonly secure: boolean;
  /**
   * Send one message to every session subscribed to `topic`, framed (and,
   * where permessage-deflate allows, compressed) once for all: the server's
   * topic publish.
   * @returns how many sessions it was queued for.
   */
  publish(topic: string, data: string | Uint8Array, binary: boolean): number;
  /**
   * {@link Host.publish} of each of `messages`, in order, framed once into
   * one buffer and written to each subscriber at once (the server's
   * publishBatch): the lines of one stdout chunk.
   * @returns how many messages were queued, summed over sessions.
   */
  publishBatch(topic: string, messages: readonly (string | Uint8Array)[], binary: boolean): number;
  /** Stop accepting, 1001 to every client, wait up to `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** The part of every adapter's `WebSocketServer` the hosts use. */
interface AdapterServer {
  on(event: 'connection', listener: (session: Session, request: UpgradeRequest) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  listen(): Promise<{ port: number }>;
  publish(topic: string, data: string | Uint8Array, options: { binary: boolean; compress: boolean }): number;
  publishBatch(topic: string, messages: readonly (string | Uint8Array)[], options: { binary: boolean; compress: boolean }): number;
  close(options?: { timeout?: number }): Promise<void>;
  metrics(): ServerMetrics;
}
type AdapterServerClass = new (options: Record<string, unknown>) => AdapterServer;

/** The adapter server options every host passes, from {@link HostOptions}. */
function policy(options: HostOptions): Record<string, unknown> {
  const heartbeat = options.heartbeatMs > 0 ? { interval: options.heartbeatMs, timeout: options.heartbeatMs * 2 } : false;
  return {
    perMessageDeflate: options.deflate,
    heartbeat,
    ...(options.protocols.length > 0 ? { protocols: options.protocols } : {}),
    ...(options.maxPayload !== undefined ? { maxPayload: options.maxPayload } : {}),
    // 'skip': the owner of the topic decides how a slow subscriber is closed (and logs it).
    ...(options.publishLimitBytes !== undefined ? { topicBackpressure: { limit: options.publishLimitBytes, policy: 'skip' } } : {}),
  };
}

/** Start a host on the runtime the CLI runs on. */
export async function startHost(options: HostOptions): Promise<Host> {
  const runtime = currentRuntime();
  if (runtime === 'node' && options.staticDir !== undefined) return startNodeHttpHost(options);
  if (options.staticDir !== undefined) throw new CliError(`--staticdir is served on Node only (this is ${runtime}); drop it or use --runtime node`);
  return startStandaloneHost(options, runtime);
}

async function startNodeHttpHost(options: HostOptions): Promise<Host> {
  const { createServer: createHttp } = await import('node:http');
  const { createServer: createHttps } = await import('node:https');
  const { WebSocketServer } = await import('@framewire/node-adapter');
  const { staticHandler, finish } = await import('./static-files.js');
  const { nodeMetricsHandler } = await import('./metrics-endpoint.js');
  const plain =
    options.staticDir !== undefined
      ? staticHandler(options.staticDir)
      : (_request: unknown, response: import('node:http').ServerResponse): void =>
          finish(response, 426, { Upgrade: 'websocket', Connection: 'Upgrade' });
  // eslint-disable-next-line prefer-const -- assigned once the server exists, read per request
  let server: { metrics(): ServerMetrics } | undefined;
  const onRequest = options.metrics === true ? nodeMetricsHandler(() => server!.metrics(), plain) : plain;
  const http =
    options.tls !== undefined
      ? createHttps({ cert: readPem(options.tls.certPath, 'cert'), key: readPem(options.tls.keyPath, 'key') }, onRequest)
      : createHttp(onRequest);
  // A slow or broken plain-HTTP client must not keep sockets forever.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  const peers = new WeakMap<UpgradeRequest, Peer>();
  const ws = new WebSocketServer({
    ...policy(options),
    server: http,
    accept: (request, context) => {
      const socket = context.socket;
      const peer: Peer = {
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        localAddress: socket.localAddress ?? options.host,
        localPort: socket.localPort ?? 0,
      };
      peers.set(request, peer);
      return options.accept(request, peer);
    },
  });
  server = ws;
  ws.on('connection', (session, request) => options.onConnection(session, request, peers.get(request)!));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error) => reject(listenError(error, options)));
    http.listen(options.port, options.host, () => resolve());
  });
  http.on('clientError', (_error, socket) => socket.destroy());
  const address = http.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    secure: options.tls !== undefined,
    publish: (topic, data, binary) => ws.publish(topic, data, { binary, compress: true }),
    publishBatch: (topic, messages, binary) => ws.publishBatch(topic, messages, { binary, compress: true }),
    close: async (timeoutMs = 2000) => {
      http.close();
      await ws.close({ timeout: timeoutMs });
      http.closeAllConnections();
    },
  };
}

const ADAPTERS = { node: '@framewire/node-adapter', bun: '@framewire/bun-adapter', deno: '@framewire/deno-adapter' } as const;

async function startStandaloneHost(options: HostOptions, runtime: 'node' | 'bun' | 'deno'): Promise<Host> {
  const specifier = ADAPTERS[runtime];
  const adapter = (await import(specifier)) as { WebSocketServer: AdapterServerClass };
  const peers = new WeakMap<UpgradeRequest, Peer>();
  const tls =
    options.tls !== undefined ? { cert: readPem(options.tls.certPath, 'cert'), key: readPem(options.tls.keyPath, 'key') } : undefined;
  const { fetchMetricsHandler, refuseFetch } = await import('./metrics-endpoint.js');
  let boundPort = options.port;
  const server: AdapterServer = new adapter.WebSocketServer({
    ...policy(options),
    port: options.port,
    host: options.host,
    ...(tls !== undefined ? { tls } : {}),
    // Plain requests: `/metrics` when asked for, else 426 (the same answer on every runtime).
    fetch: options.metrics === true ? fetchMetricsHandler(() => server.metrics()) : refuseFetch,
    accept: (request: UpgradeRequest, context: unknown) => {
      const peer = runtime === 'node' ? nodePeer(context, options, boundPort) : runtime === 'bun' ? bunPeer(context, options) : denoPeer(context, options);
      peers.set(request, peer);
      return options.accept(request, peer);
    },
  });
  server.on('connection', (session, request) => options.onConnection(session, request, peers.get(request)!));
  server.on('error', () => {});
  const { port } = await server.listen().catch((error: unknown) => {
    throw listenError(error as Error, options);
  });
  boundPort = port;
  return {
    port,
    secure: tls !== undefined,
    publish: (topic, data, binary) => server.publish(topic, data, { binary, compress: true }),
    publishBatch: (topic, messages, binary) => server.publishBatch(topic, messages, { binary, compress: true }),
    close: (timeoutMs = 2000) => server.close({ timeout: timeoutMs }),
  };
}

/**
 * Node: the socket's peer (one getpeername, cached by Node). The local port
 * of an accepted connection is the listening port; the local address is
 * read (getsockname) only if asked, when a client sent an empty Host.
 */
function nodePeer(context: unknown, options: HostOptions, port: number): Peer {
  const socket = (context as { socket: import('node:net').Socket }).socket;
  return {
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    get localAddress() {
      return socket.localAddress ?? options.host;
    },
    localPort: port,
  };
}

function bunPeer(context: unknown, options: HostOptions): Peer {
  const socket = (context as { socket?: { remoteAddress?: string; remotePort?: number; localPort?: number } }).socket;
  return {
    remoteAddress: socket?.remoteAddress ?? '',
    remotePort: socket?.remotePort ?? 0,
    localAddress: options.host,
    localPort: socket?.localPort ?? options.port,
  };
}

function denoPeer(context: unknown, options: HostOptions): Peer {
  const { conn, remoteAddr } = context as {
    conn?: { localAddr?: { hostname?: string; port?: number } };
    remoteAddr?: { hostname?: string; port?: number };
  };
  return {
    remoteAddress: remoteAddr?.hostname ?? '',
    remotePort: remoteAddr?.port ?? 0,
    localAddress: conn?.localAddr?.hostname ?? options.host,
    localPort: conn?.localAddr?.port ?? options.port,
  };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`--${what} ${path}: ${(error as Error).message}`);
  }
}

function listenError(error: Error, options: HostOptions): CliError {
  const code = (error as { code?: string }).code;
  const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : error.message;
  return new CliError(`cannot listen on ${options.host}:${options.port}: ${why}`, 1);
}
