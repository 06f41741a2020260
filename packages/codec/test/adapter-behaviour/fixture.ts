// What a runtime gives the shared adapter behaviour suites: its test
// function, its adapter's exports, a server and a client. One small fixture
// file per runtime (packages/*-adapter/test/behaviour.test.ts) registers the
// same suites under vitest, `bun test` and `deno test`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A close as every adapter reports it. */
export interface CloseInfoLike {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** The part of a session the suites use (structural: every adapter's `Session` fits). */
export interface SessionLike {
  readonly readyState: number;
  readonly protocol: string;
  readonly extensions: string;
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(data?: string | Uint8Array): void;
  drained(): Promise<void>;
  on(event: 'close', listener: (info: CloseInfoLike) => void): unknown;
  /** A listener that returns a promise holds the message until it settles (receive backpressure). */
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => unknown): unknown;
  on(event: 'ping' | 'pong', listener: (data: Uint8Array) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** With `streamMessagesAbove`: a big message as a stream of its bytes. */
  on(event: 'messageStream', listener: (body: ReadableStream<Uint8Array>, isBinary: boolean) => unknown): unknown;
  send(data: string | Uint8Array, options?: { binary?: boolean; fin?: boolean; compress?: boolean }): boolean;
  once(event: 'message', listener: (data: unknown, isBinary: boolean) => unknown): unknown;
  once(event: 'pong', listener: (data: Uint8Array) => void): unknown;
  readonly closed: Promise<CloseInfoLike>;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  readonly topics: ReadonlySet<string>;
  /** What the server's accept hook passed as `accept({ data })` (server sessions). */
  readonly data?: unknown;
}

/** The parsed upgrade request an accept hook sees. */
export interface RequestLike {
  readonly path: string;
  readonly query: string;
  readonly origin: string | undefined;
  readonly protocols: readonly string[];
  readonly headers: { get(name: string): string | undefined };
  /** The matched `path` pattern's parameters (`{}` without one). */
  readonly params: Readonly<Record<string, string>>;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** What an accept hook returns (the codec's `AcceptDecision`, opaque here). */
export type DecisionLike = object;

/** An accept hook; `context` is the adapter's own (read it through {@link AdapterFixture.remoteAddress}). */
export type AcceptHookLike = (request: RequestLike, context: unknown) => DecisionLike | Promise<DecisionLike>;

/** The part of a `WebSocketServer` the suites use. */
export interface ServerLike {
  on(event: 'connection', listener: (session: SessionLike, request: RequestLike) => void): unknown;
  on(event: 'rejected', listener: (status: number, reason: string) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  readonly connectionCount: number;
  readonly pendingCount: number;
  readonly clients: ReadonlySet<unknown>;
  close(options?: { timeout?: number; reason?: string }): Promise<void>;
  publish(topic: string, data: string | Uint8Array, options?: { except?: SessionLike; compress?: boolean; binary?: boolean }): number;
  subscriberCount(topic: string): number;
  readonly topics: readonly string[];
  metrics(): MetricsLike;
}

/** `server.metrics()` as the suites read it (the codec's `ServerMetrics`). */
export interface MetricsLike {
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly handshakesPending: number;
  readonly handshakesRefused: ReadonlyArray<{ readonly status: number; readonly reason: string; readonly count: number }>;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly closeCodes: ReadonlyArray<{ readonly code: number; readonly count: number }>;
  readonly deflate: { readonly inCompressed: number; readonly inUncompressed: number; readonly outUncompressed: number; readonly outCompressed: number };
}

/** Server options the suites pass (every adapter takes them; `tls` is PEM text). */
export interface SuiteServerOptions {
  /** What 'connection' hands out (WHATWG suite); a bad value is there to be refused. */
  shape?: string;
  heartbeat?: { interval: number; timeout: number } | false;
  maxPayload?: number;
  perMessageDeflate?: boolean | { serverNoContextTakeover?: boolean };
  protocols?: readonly string[];
  accept?: AcceptHookLike;
  path?: readonly string[];
  handshakeTimeout?: number;
  maxConnections?: number;
  highWaterMark?: number;
  maxBufferedAmount?: number;
  receiveHighWaterMessages?: number;
  closeTimeout?: number;
  topicBackpressure?: { limit?: number; policy?: 'skip' | 'close' };
  /** A broker from {@link AdapterApi.MemoryBroker}. */
  broker?: object;
  tls?: { cert: string; key: string };
  /** Plain HTTP on the port (Deno raw and Bun); the handler gets the runtime's own Request. */
  fetch?: (request: Request) => Response | Promise<Response>;
  maxBodyBytes?: number;
  /** Listen on this port instead of a free one (a server restarted on the same port). */
  port?: number;
  /** Messages above this many bytes arrive as a `messageStream` body. */
  streamMessagesAbove?: number;
}

/** Client options the suites pass; `ca` (PEM) is mapped to the runtime's TLS option by the fixture. */
export interface SuiteConnectOptions {
  protocols?: readonly string[];
  headers?: Record<string, string>;
  origin?: string;
  handshakeTimeout?: number;
  signal?: AbortSignal;
  perMessageDeflate?: boolean;
  maxPayload?: number;
  highWaterMark?: number;
  maxBufferedAmount?: number;
  receiveHighWaterMessages?: number;
  onUpgrade?: (response: { status: number; headers: { get(name: string): string | undefined }; protocol: string }) => void;
  followRedirects?: boolean;
  maxRedirects?: number;
  proxy?: string;
  ca?: string;
}

/** A `ConnectError` as the suites read it. */
export interface ConnectErrorLike extends Error {
  readonly code: string;
  readonly cause?: unknown;
}

/** A `HandshakeStatusError` as the suites read it. */
export interface HandshakeStatusErrorLike extends ConnectErrorLike {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** The names every adapter re-exports from the codec that the suites call. */
export interface AdapterApi {
  accept(options?: { protocol?: string; headers?: Record<string, string>; data?: unknown }): DecisionLike;
  formatPrometheus(metrics: MetricsLike, labels?: Record<string, string>): string;
  reject(status: number, options?: { headers?: Record<string, string>; body?: string }): DecisionLike;
  allowOrigins(origins: readonly string[]): AcceptHookLike;
  bearerToken(verify: (token: string) => boolean, options?: { queryParam?: string }): AcceptHookLike;
  readonly ConnectError: abstract new (...args: never[]) => ConnectErrorLike;
  readonly HandshakeStatusError: abstract new (...args: never[]) => HandshakeStatusErrorLike;
  readonly UsageError: abstract new (...args: never[]) => Error;
  /** The embedded broker: servers given the same one share topics. */
  readonly MemoryBroker: new () => object;
  /** The reconnecting client (reconnect.suite.ts). */
  reconnect(url: string, options?: Record<string, unknown>): ReconnectingClientLike;
}

/** The part of a `ReconnectingClient` the reconnect suite uses. */
export interface ReconnectingClientLike {
  readonly state: string;
  readonly online: boolean;
  readonly lastId: string | undefined;
  readonly closed: Promise<{ cause: string; last?: { kind: string; code?: number; error?: Error } }>;
  send(data: string | Uint8Array): boolean;
  close(code?: number, reason?: string): void;
  on(event: 'online', listener: (info: { url: string; connection: number; session: SessionLike }) => void): unknown;
  on(event: 'offline', listener: (reason: { kind: string; code?: number; missed?: number }) => void): unknown;
  on(event: 'reconnecting', listener: (info: { attempt: number; delay: number }) => void): unknown;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (info: { cause: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** One runtime's way to run the suites. */
export interface AdapterFixture {
  readonly runtime: 'node' | 'bun' | 'deno';
  test(name: string, fn: () => Promise<void>): void;
  /** The adapter's own exports (hooks and error classes). */
  readonly api: AdapterApi;
  /** A server on 127.0.0.1 and a free port (wss:// when `options.tls` is given). */
  listen(options?: SuiteServerOptions): Promise<{ server: ServerLike; port: number }>;
  /**
   * Servers sharing one port on 127.0.0.1, one per entry of `paths` (each
   * server's `path`), routed by path the adapter's way: attached to one
   * http server (Node), the first server listening with the others as its
   * `routes` (Bun, Deno raw).
   */
  listenShared?(
    paths: ReadonlyArray<readonly string[]>,
    /** Per-server options (limits, streaming), by the index of its paths. */
    options?: ReadonlyArray<SuiteServerOptions | undefined>,
  ): Promise<{ servers: ServerLike[]; port: number; close(): Promise<void> }>;
  connect(url: string, options?: SuiteConnectOptions): Promise<SessionLike>;
  /** The peer address in the accept hook's context (each adapter's context has its own shape). */
  remoteAddress(context: unknown): string;
  /**
   * The bounded-memory upload scenario (streaming.suite.ts): how many MiB to
   * upload, and the command that starts upload-server.mjs under this
   * runtime in its own process (without one, the server runs in-process,
   * `rss` measures this process, and the client runs in a Node child).
   */
  readonly upload?: { readonly mib: number; readonly command?: { command: string; args: string[] }; rss?(): number };
  /** Start `node` (raw peers) or `openssl` (certificates) from PATH the runtime's way. */
  spawn(command: 'node' | 'openssl', args: string[]): ChildRun;
}

/** A child process started by a fixture: its whole stdout once it exits, and a way to kill it. */
export interface ChildRun {
  readonly output: Promise<string>;
  stop(): void;
}

/** Where upload-server.mjs lives. */
export const uploadServerScript = fileURLToPath(new URL('./upload-server.mjs', import.meta.url));
/** Where upload-client.mjs lives (run under Node, with the built node-adapter). */
export const uploadClientScript = fileURLToPath(new URL('./upload-client.mjs', import.meta.url));
const nodeAdapterDist = new URL('../../../node-adapter/dist/index.js', import.meta.url).href;

/** Where raw-peer.mjs lives (the suites run it under Node on every runtime). */
export const rawPeerScript = fileURLToPath(new URL('./raw-peer.mjs', import.meta.url));

/** Runs `COMMAND ARGS…` through `node:child_process` (Node and Bun fixtures); killed after 60 s. */
export function spawnWithChildProcess(command: string, args: string[]): ChildRun {
  let child: ReturnType<typeof execFile> | undefined;
  const output = new Promise<string>((resolve) => {
    child = execFile(command, args, { timeout: 60_000 }, (_error, stdout) => resolve(String(stdout)));
  });
  return { output, stop: () => child?.kill('SIGKILL') };
}

/** Runs upload-client.mjs (Node) against `url`: the SHA-256 it sent and the server's answer. */
export async function runUploadClient(fixture: AdapterFixture, url: string, mib: number): Promise<{ sha256: string; answer: string }> {
  const out = await fixture.spawn('node', [uploadClientScript, nodeAdapterDist, url, String(mib)]).output;
  const sha256 = /^SHA256 (\w+)$/m.exec(out)?.[1];
  const answer = /^ANSWER (.*)$/m.exec(out)?.[1];
  if (sha256 === undefined || answer === undefined) throw new Error(`upload-client failed: ${out}`);
  return { sha256, answer };
}

/** Runs raw-peer.mjs to its end; rejects unless it exits 0. */
export async function runRawPeer(fixture: AdapterFixture, args: string[]): Promise<string> {
  const out = await fixture.spawn('node', [rawPeerScript, ...args]).output;
  if (out.includes('timeout')) throw new Error(`raw-peer ${args.join(' ')} timed out`);
  return out;
}

/** Starts raw-peer.mjs for modes that wait for the server. */
export function startRawPeer(fixture: AdapterFixture, args: string[]): ChildRun {
  return fixture.spawn('node', [rawPeerScript, ...args]);
}

/** `promise`, or a rejection after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves when `condition()` holds, polling every 10 ms; rejects after `ms`. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The next message of `session` with its type (5 s at most). */
export function nextMessage(session: SessionLike): Promise<{ data: unknown; isBinary: boolean }> {
  return within(new Promise((resolve) => session.once('message', (data, isBinary) => resolve({ data, isBinary }))), 5000, 'a message');
}

/** Echo every message with its type on every connection; keeps the sessions in order. */
export function echo(server: ServerLike): SessionLike[] {
  const sessions: SessionLike[] = [];
  server.on('connection', (ws) => {
    sessions.push(ws);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data as string | Uint8Array, { binary: isBinary });
    });
  });
  return sessions;
}

/** The next session `server` accepts. */
export function nextConnection(server: ServerLike): Promise<SessionLike> {
  return within(new Promise((resolve) => server.on('connection', (ws) => resolve(ws))), 5000, 'a connection');
}

/** What a test body gets: the fixture, and helpers whose resources are released after the test. */
export interface Scope {
  readonly fixture: AdapterFixture;
  /** Run `fn` after the test (last registered first). */
  defer(fn: () => unknown): void;
  /** A server closed after the test. */
  listen(options?: SuiteServerOptions): Promise<{ server: ServerLike; port: number; url: string }>;
  /** An echo server closed after the test, with its sessions. */
  echoServer(options?: SuiteServerOptions): Promise<{ server: ServerLike; port: number; url: string; sessions: SessionLike[] }>;
  /** A client terminated after the test. */
  connect(url: string, options?: SuiteConnectOptions): Promise<SessionLike>;
  /** The `ConnectError` a failing `connect()` rejects with (fails the test if it connects or throws something else). */
  connectError(url: string, options?: SuiteConnectOptions): Promise<ConnectErrorLike>;
}

/** Registers a test whose `Scope` releases servers, clients and deferred work afterwards. */
export function scenario(fixture: AdapterFixture, name: string, body: (scope: Scope) => Promise<void>): void {
  fixture.test(name, async () => {
    const deferred: Array<() => unknown> = [];
    const defer = (fn: () => unknown): void => void deferred.push(fn);
    const listen: Scope['listen'] = async (options = {}) => {
      const { server, port } = await fixture.listen(options);
      defer(() => server.close({ timeout: 300 }));
      return { server, port, url: `${options.tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}` };
    };
    const connect: Scope['connect'] = async (url, options) => {
      const session = await fixture.connect(url, options);
      defer(() => session.readyState < 3 && session.terminate());
      return session;
    };
    const scope: Scope = {
      fixture,
      defer,
      listen,
      connect,
      echoServer: async (options) => {
        const listening = await listen(options);
        return { ...listening, sessions: echo(listening.server) };
      },
      connectError: async (url, options) => {
        const outcome = await connect(url, options).then(
          () => new Error(`connect(${url}) unexpectedly succeeded`),
          (error: unknown) => error,
        );
        if (!(outcome instanceof fixture.api.ConnectError)) throw outcome;
        return outcome;
      },
    };
    let failed = true;
    try {
      await body(scope);
      failed = false;
    } finally {
      // Every cleanup runs; one that fails fails a passing test, never hides the body's error.
      let cleanupError: unknown;
      for (const fn of deferred.reverse()) {
        try {
          await fn();
        } catch (error) {
          cleanupError ??= error;
        }
      }
      if (!failed && cleanupError !== undefined) throw cleanupError;
    }
  });
}
