/**
 * `framewire echo` (every message back to its sender, same type) and
 * `framewire broadcast` (every message to every other client), for quick
 * checks. Both print `READY` on stderr once listening and stop on
 * SIGINT/SIGTERM with 1001 to every client.
 *
 * @module
 */
import { accept, type Session } from '@framewire/codec/adapter';
import { parseCommand, portFlag } from './args.js';
import { CliError } from './cli-error.js';
import { stderrLog } from './log.js';
import { currentRuntime, isRuntimeName, type RuntimeName } from './runtime/current-runtime.js';
import { startHost, type Host } from './serve/ws-host.js';

/** The flags of `echo` and `broadcast`. */
export const RELAY_FLAGS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  runtime: { type: 'string' },
  'no-deflate': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A checked `echo`/`broadcast` invocation. */
export interface RelayConfig {
  readonly mode: 'echo' | 'broadcast';
  readonly runtime: RuntimeName | undefined;
  readonly port: number;
  readonly host: string;
  readonly deflate: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

/** Parse `echo` or `broadcast` arguments. */
export function parseRelayConfig(mode: 'echo' | 'broadcast', args: readonly string[]): RelayConfig {
  const { values, positionals, rest } = parseCommand(mode, args, RELAY_FLAGS);
  if (positionals.length + rest.length > 0) throw new CliError(`${mode}: unexpected argument ${[...positionals, ...rest][0]}`);
  const runtime = values.runtime;
  if (runtime !== undefined && !isRuntimeName(runtime)) throw new CliError(`${mode}: --runtime must be node, bun or deno, got ${runtime}`);
  return {
    mode,
    runtime,
    port: portFlag(values.port, 8080),
    host: values.host ?? '127.0.0.1',
    deflate: values['no-deflate'] !== true,
    quiet: values.quiet === true,
    help: values.help === true,
  };
}

/** Past this many queued bytes a broadcast receiver is closed with 1008 (a slow client never blocks the others). */
const BROADCAST_QUEUE_BYTES = 4 * 1024 * 1024;

/** Start an echo or broadcast server; resolves once listening. */
export async function startRelay(config: RelayConfig): Promise<Host> {
  const log = stderrLog(config.quiet);
  const clients = new Set<Session>();
  let nextId = 0;
  const host = await startHost({
    port: config.port,
    host: config.host,
    deflate: config.deflate,
    heartbeatMs: 30_000,
    protocols: [],
    // Echo servers are used to test large messages (DESIGN.md: 64 MiB).
    maxPayload: 64 * 1024 * 1024,
    accept: () => accept(),
    onConnection: (session, request, peer) => {
      const id = ++nextId;
      log.info(`[${id}] connect ${peer.remoteAddress}:${peer.remotePort} ${request.target}`);
      void session.closed.then(({ code }) => log.info(`[${id}] disconnect ${code}`));
      if (config.mode === 'echo') {
        session.on('message', (data, isBinary) => {
          // Waiting for drain holds reading: an echo client that does not read cannot grow our memory.
          if (session.readyState === 1 && !session.send(data as string | Uint8Array, { binary: isBinary })) return session.drained();
          return undefined;
        });
        return;
      }
      clients.add(session);
      void session.closed.then(() => clients.delete(session));
      session.on('message', (data, isBinary) => {
        for (const other of clients) {
          if (other === session || other.readyState !== 1) continue;
          if (other.bufferedAmount > BROADCAST_QUEUE_BYTES) other.closeWithLibraryCode(1008, 'too slow: message queue full');
          else other.send(data as string | Uint8Array, { binary: isBinary });
        }
      });
    },
  });
  // Always printed, even with --quiet: harnesses read the port from it.
  process.stderr.write(`framewire: ${config.mode} server on ws://${config.host}:${host.port}/ (${currentRuntime()})\nREADY\n`);
  return host;
}

/** Run `echo`/`broadcast` until SIGINT/SIGTERM; resolves with the exit code. */
export async function runRelay(config: RelayConfig): Promise<number> {
  const host = await startRelay(config);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close(2000);
  return 0;
}
