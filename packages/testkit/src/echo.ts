/**
 * `@framewire/testkit/echo`: the behaviour of the echo entry points every
 * runtime provides (the root README's "Entry points"): the
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
 * flight. Raw text mode: an echo forwards text, so it takes the validated
 * UTF-8 bytes and sends them back as text, never making a string.
 */
export const ECHO_OPTIONS = {
  perMessageDeflate: true,
  maxPayload: 64 * MiB,
  maxBufferedAmount: 256 * MiB,
  rawText: true,
} as const;

const textDecoder = new TextDecoder();

/** A text message as a string, whether it came as one or as raw-text bytes. */
function textOf(data: EchoData): string {
  return typeof data === 'string' ? data : textDecoder.decode(data);
}

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

/** What `echo-client` does once connected: echo (default), or speak first with `--send TEXT [--count N]`. */
export interface EchoClientPlan {
  /** Send this text first, `count` times; print each reply; close with 1000 after `count` replies. */
  readonly send?: string | undefined;
  /** How many times to send `send` (default 1). */
  readonly count?: number | undefined;
}

/** The part of a client session the echo client drives. */
export interface EchoClientSocket extends EchoSocket {
  on(event: 'message', listener: (data: EchoData, isBinary: boolean) => unknown): unknown;
  close(code?: number, reason?: string): void;
  readonly extensions: string;
  readonly protocol: string;
}

/**
 * Wire an echo client: say on `log` (stderr) what it does, then either echo
 * every message with its type, or send `plan.send` `plan.count` times and
 * print each reply on `print` (stdout), closing with 1000 after the last one
 * so an echo-client/echo-server pair does something and ends by itself.
 */
export function startEchoClient(ws: EchoClientSocket, plan: EchoClientPlan, print: (line: string) => void, log: (line: string) => void): void {
  log(`echo-client: connected (extensions: ${ws.extensions || 'none'}; protocol: ${ws.protocol || 'none'})`);
  if (plan.send === undefined) {
    log('echo-client: echoing every message with its type until the server closes (Ctrl-C sends 1000)');
    ws.on('message', echoListener(ws));
    return;
  }
  const count = plan.count ?? 1;
  let replies = 0;
  ws.on('message', (data, isBinary) => {
    print(isBinary ? `<binary ${typeof data === 'string' ? data.length : data.byteLength} bytes>` : textOf(data));
    if (++replies === count) {
      log(`echo-client: ${count} ${count === 1 ? 'reply' : 'replies'} received, closing with 1000`);
      ws.close(1000);
    }
  });
  log(`echo-client: sending ${JSON.stringify(plan.send)} ${count} ${count === 1 ? 'time' : 'times'}`);
  for (let i = 0; i < count; i++) ws.send(plan.send);
}

/** `--count` for the echo client: a whole number ≥ 1 (default 1), only with `--send`; or why not. */
export function parseEchoCount(send: string | undefined, count: string | undefined): number | string {
  if (count === undefined) return 1;
  if (send === undefined) return '--count needs --send TEXT';
  const n = Number(count);
  return Number.isInteger(n) && n >= 1 ? n : `--count must be a whole number ≥ 1, got ${count}`;
}
