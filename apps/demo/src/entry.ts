/**
 * What the three runtime entries share: reading `HOST`/`PORT`, starting the
 * demo, printing its URL, and the graceful stop on Ctrl-C or SIGTERM (1001
 * to every WebSocket, their close handshakes awaited up to 2 s). It uses
 * `node:process`, which Node, Bun and Deno all provide.
 *
 * @module
 */
import process from 'node:process';
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

/** Starts a runtime's servers around `demo` on `host:port` (port 0 picks one). */
export type StartDemo = (demo: Demo, host: string, port: number) => Promise<RunningDemo>;

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
  try {
    address = listenAddressFromEnv(process.env);
    demo = new Demo({ runtime, runtimeVersion, assets: await loadAssets() });
    running = await start(demo, address.host, address.port);
  } catch (error) {
    demo?.dispose();
    const where = address === undefined ? '' : ` on ${address.host}:${address.port}`;
    console.error(`could not start the demo${where}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const ws = running.webSocketUrl;
  console.log(`framewire demo on ${runtime} ${runtimeVersion}: ${running.url}  (chat ${ws}chat, echo ${ws}echo)`);
  console.log('Ctrl-C to stop');
  console.log('READY');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: closing ${running.connections()} connection(s) with 1001...`);
    await running.close(2000);
    demo.dispose();
    console.log('closed');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
