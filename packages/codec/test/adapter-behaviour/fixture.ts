// What a runtime gives the shared adapter behaviour suites: its test
// function, a server and a client. One small fixture file per runtime
// (packages/*-adapter/test/behaviour.test.ts) registers the same suites under
// vitest, `bun test` and `deno test`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The part of a session the suites use (structural: every adapter's `Session` fits). */
export interface SessionLike {
  readonly readyState: number;
  send(data: string | Uint8Array, options?: { binary?: boolean }): boolean;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: (info: { code: number; reason: string; wasClean: boolean }) => void): unknown;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
}

/** The part of a `WebSocketServer` the suites use. */
export interface ServerLike {
  on(event: 'connection', listener: (session: SessionLike) => void): unknown;
  readonly connectionCount: number;
  readonly clients: ReadonlySet<unknown>;
  close(options?: { timeout?: number }): Promise<void>;
}

/** Server options the suites pass (every adapter takes them). */
export interface SuiteServerOptions {
  heartbeat?: { interval: number; timeout: number } | false;
  maxPayload?: number;
}

/** One runtime's way to run the suites. */
export interface AdapterFixture {
  readonly runtime: 'node' | 'bun' | 'deno';
  test(name: string, fn: () => Promise<void>): void;
  /** A server on 127.0.0.1 and a free port. */
  listen(options?: SuiteServerOptions): Promise<{ server: ServerLike; port: number }>;
  connect(url: string): Promise<SessionLike>;
  /** Start `node ARGS…` (Node from PATH) the runtime's way. */
  spawnNode(args: string[]): ChildRun;
}

/** A child process started by a fixture: its whole stdout once it exits, and a way to kill it. */
export interface ChildRun {
  readonly output: Promise<string>;
  stop(): void;
}

/** Where raw-peer.mjs lives (the suites run it under Node on every runtime). */
export const rawPeerScript = fileURLToPath(new URL('./raw-peer.mjs', import.meta.url));

/** Runs `node ARGS…` through `node:child_process` (Node and Bun fixtures); killed after 60 s. */
export function spawnNodeWithChildProcess(args: string[]): ChildRun {
  let child: ReturnType<typeof execFile> | undefined;
  const output = new Promise<string>((resolve) => {
    child = execFile('node', args, { timeout: 60_000 }, (_error, stdout) => resolve(String(stdout)));
  });
  return { output, stop: () => child?.kill('SIGKILL') };
}

/** Runs raw-peer.mjs to its end; rejects unless it exits 0. */
export async function runRawPeer(fixture: AdapterFixture, args: string[]): Promise<string> {
  const out = await fixture.spawnNode([rawPeerScript, ...args]).output;
  if (out.includes('timeout')) throw new Error(`raw-peer ${args.join(' ')} timed out`);
  return out;
}

/** Starts raw-peer.mjs for modes that wait for the server. */
export function startRawPeer(fixture: AdapterFixture, args: string[]): ChildRun {
  return fixture.spawnNode([rawPeerScript, ...args]);
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
