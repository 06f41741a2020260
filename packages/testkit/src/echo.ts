/**
 * `@framewire/testkit/echo`: the behaviour of the echo entry points every
 * runtime provides (DESIGN.md "Entry points every runtime provides"): the
 * options, the echo loop and the lines a harness reads. Each adapter's `bin/echo-server` and
 * `bin/echo-client` keep only what is the runtime's: arguments, files,
 * signals and the exit call.
 *
 * @module
 */
/** How a connection ended (the fields of the codec's `CloseInfo`). */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

const MiB = 1024 * 1024;

/**
 * The limits of both echo programs: permessage-deflate offered/accepted,
 * messages up to 64 MiB, and room for one such message plus its frames in
 * flight.
 */
export const ECHO_OPTIONS = {
  perMessageDeflate: true,
  maxPayload: 64 * MiB,
  maxBufferedAmount: 256 * MiB,
} as const;

/** The line a server prints once it listens; harnesses wait for it. */
export const ECHO_READY_LINE = 'READY';

/** Message data as a session or a `Deno.serve` socket delivers it. */
export type EchoData = string | Uint8Array | ArrayBuffer;

/** What the echo loop needs of a connection: a `Session`, or any socket with the same calls. */
export interface EchoSocket {
  readonly readyState: number;
  send(data: EchoData, options?: { binary?: boolean }): boolean;
  drained(): Promise<void>;
}

/**
 * A 'message' listener that sends every message back with its type. While
 * our echo is not sent it returns the drain promise, which holds reading:
 * backpressure end to end, memory bounded by one message.
 *
 * @example
 * ```ts
 * server.on('connection', (ws) => { ws.on('message', echoListener(ws)); ws.on('error', () => {}); });
 * ```
 */
export function echoListener(ws: EchoSocket): (data: EchoData, isBinary: boolean) => Promise<void> | undefined {
  return (data, isBinary) => {
    if (ws.readyState !== 1) return undefined; // 1: OPEN
    return ws.send(data, { binary: isBinary }) ? undefined : ws.drained();
  };
}

/** The line an echo client prints when `connect()` failed: `FAILED <code> (HTTP <status>): <message>`. */
export function echoFailureLine(error: unknown): string {
  const e = error as { code?: string; status?: number; message?: string };
  const status = e.status !== undefined ? ` (HTTP ${e.status})` : '';
  return `FAILED ${e.code ?? 'ERROR'}${status}: ${e.message ?? String(error)}`;
}

/** The line an echo client prints when the connection ended: `CLOSE <code>[ <reason>]`. */
export function echoCloseLine(info: CloseInfo): string {
  return `CLOSE ${info.code}${info.reason !== '' ? ` ${info.reason}` : ''}`;
}

/** An echo client's exit status: 0 after a clean close (RFC 6455 §7.1.1), 1 otherwise. */
export function echoExitCode(info: CloseInfo): number {
  return info.wasClean ? 0 : 1;
}
