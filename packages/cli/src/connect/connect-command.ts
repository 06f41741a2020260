/**
 * `framewire connect URL`: a terminal client.
 *
 * stdin lines become text messages (`--binary`: stdin chunks become binary
 * messages) and received messages are written to stdout, one per line. At
 * stdin EOF it sends close 1000, waits for the server's close and exits 0.
 * A close with any other code exits 1, a failed connection 1 too, each
 * with one readable line on stderr. In a terminal (stdin and stdout both
 * TTYs) it has line editing (`node:readline`) and marks what it sends
 * with `> ` and what it receives with `< `.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { ConnectError, HandshakeStatusError, type ClientOfferOptions, type Session } from '@framewire/codec/adapter';
import { parseCommand, secondsFlag } from '../args.js';
import { CliError } from '../cli-error.js';
import { isRuntimeName, type RuntimeName } from '../runtime/current-runtime.js';
import { loadConnect } from '../runtime/client-adapter.js';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from '../serve/line-splitter.js';
import { textPayload } from '../serve/text-line.js';
import { runInteractive } from './interactive.js';

/** The flags of `framewire connect`. */
export const CONNECT_FLAGS = {
  header: { type: 'string', short: 'H', multiple: true },
  protocol: { type: 'string', multiple: true },
  binary: { type: 'boolean' },
  'no-deflate': { type: 'boolean' },
  'ping-interval': { type: 'string' },
  origin: { type: 'string' },
  ca: { type: 'string' },
  runtime: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A checked `connect` invocation. */
export interface ConnectConfig {
  readonly url: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly protocols: readonly string[];
  readonly binary: boolean;
  readonly deflate: boolean;
  readonly pingIntervalMs: number;
  readonly origin: string | undefined;
  readonly caPath: string | undefined;
  readonly runtime: RuntimeName | undefined;
  readonly help: boolean;
}

/** Parse `connect`'s arguments. */
export function parseConnectConfig(args: readonly string[]): ConnectConfig {
  const { values, positionals, rest } = parseCommand('connect', args, CONNECT_FLAGS);
  const help = values.help === true;
  const words = [...positionals, ...rest];
  if (words.length !== 1 && !help) throw new CliError('connect: give exactly one URL, e.g. framewire connect ws://127.0.0.1:8080/');
  const headers = (values.header ?? []).map((header): [string, string] => {
    const colon = header.indexOf(':');
    const name = colon === -1 ? '' : header.slice(0, colon).trim();
    if (name === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new CliError(`connect: -H expects 'Name: value', got ${JSON.stringify(header)}`);
    return [name, header.slice(colon + 1).trim()];
  });
  const runtime = values.runtime;
  if (runtime !== undefined && !isRuntimeName(runtime)) throw new CliError(`connect: --runtime must be node, bun or deno, got ${runtime}`);
  return {
    url: words[0] ?? '',
    headers,
    protocols: values.protocol ?? [],
    binary: values.binary === true,
    deflate: values['no-deflate'] !== true,
    pingIntervalMs: secondsFlag('ping-interval', values['ping-interval'], 0),
    origin: values.origin,
    caPath: values.ca,
    runtime,
    help,
  };
}

/** One readable line for a failed connection attempt. */
export function describeConnectError(url: string, error: unknown): string {
  if (error instanceof HandshakeStatusError) {
    const body = new TextDecoder().decode(error.body.subarray(0, 200)).trim().split('\n')[0] ?? '';
    return `${url}: the server answered HTTP ${error.status} instead of upgrading${body !== '' ? ` (${body})` : ''}`;
  }
  if (error instanceof ConnectError) {
    const cause = (error.cause as { code?: string } | undefined)?.code;
    return `${error.message}${cause !== undefined && !error.message.includes(cause) ? ` (${cause})` : ''} [${error.code}]`;
  }
  return `${url}: ${(error as Error).message ?? String(error)}`;
}

/** Run `connect`; resolves with the exit code. */
export async function runConnect(config: ConnectConfig): Promise<number> {
  const connect = await loadConnect();
  const options: ClientOfferOptions & { tls?: { ca?: string } } = {
    perMessageDeflate: config.deflate,
    protocols: config.protocols,
    headers: config.headers.map(([name, value]) => [name, value] as [string, string]),
    ...(config.origin !== undefined ? { origin: config.origin } : {}),
    ...(config.pingIntervalMs > 0 ? { heartbeat: { interval: config.pingIntervalMs, timeout: config.pingIntervalMs * 2 } } : {}),
    ...(config.caPath !== undefined ? { tls: { ca: readFileSync(config.caPath, 'utf8') } } : {}),
  };
  let session: Session;
  try {
    session = await connect(config.url, options);
  } catch (error) {
    process.stderr.write(`framewire connect: ${describeConnectError(config.url, error)}\n`);
    return 1;
  }
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true && !config.binary;
  const closed = interactive ? runInteractive(session) : runPiped(session, config.binary);
  const { code, reason } = await closed;
  if (code === 1000) return 0;
  process.stderr.write(`framewire connect: connection closed with ${code}${reason !== '' ? ` (${reason})` : ''}\n`);
  return 1;
}

/** Piped mode: bare data both ways, with backpressure both ways. */
function runPiped(session: Session, binary: boolean): Promise<{ code: number; reason: string }> {
  const stdout = process.stdout;
  const stdin = process.stdin;
  session.on('message', (data) => {
    const bytes = typeof data === 'string' ? data : new Uint8Array(data as Uint8Array | ArrayBuffer);
    let room = stdout.write(bytes);
    if (!binary) room = stdout.write('\n');
    // Hold the message until stdout drains: the server sees our receive window shrink.
    return room ? undefined : new Promise<void>((resolve) => stdout.once('drain', resolve));
  });
  const splitter = new LineSplitter(DEFAULT_MAX_LINE_BYTES);
  const send = (payload: string | Uint8Array, isBinary: boolean): void => {
    if (session.readyState !== 1) return;
    if (!session.send(payload, { binary: isBinary })) {
      stdin.pause();
      void session.drained().then(() => stdin.resume());
    }
  };
  stdin.on('data', (chunk: Buffer) => {
    if (binary) send(new Uint8Array(chunk), true);
    else for (const line of splitter.push(chunk)) send(textPayload(line), false);
  });
  stdin.on('end', () => {
    const last = binary ? undefined : splitter.flush();
    if (last !== undefined) send(textPayload(last), false);
    session.close(1000);
  });
  stdin.on('error', () => session.close(1000));
  void session.closed.then(() => stdin.pause());
  return session.closed.then(async (info) => {
    // Let what we printed reach the pipe before the process exits.
    await new Promise<void>((resolve) => (stdout.writableNeedDrain ? stdout.once('drain', resolve) : resolve()));
    return info;
  });
}
