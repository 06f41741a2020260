// The Bun echo server behind `pnpm echo-server --runtime bun --port N [--tls]`
// (DESIGN.md "Entry points every runtime provides"): 127.0.0.1:N, every path,
// echoes every message with its type, accepts permessage-deflate, messages up
// to 64 MiB, prints READY once listening, closes gracefully on SIGINT/SIGTERM.
// Usage: bun run bin/echo-server.ts --port N [--cert cert.pem --key key.pem]
// It imports the adapter's source (Bun runs TypeScript as is), so only the
// codec needs to be built.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, ECHO_READY_LINE, echoListener } from '@framewire/testkit/echo';
import { WebSocketServer } from '../src/index.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '9001' }, cert: { type: 'string' }, key: { type: 'string' } },
  strict: true,
});
const tls =
  values.cert !== undefined && values.key !== undefined
    ? { cert: readFileSync(values.cert, 'utf8'), key: readFileSync(values.key, 'utf8') }
    : undefined;

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(values.port),
  ...(tls !== undefined ? { tls } : {}),
  ...ECHO_OPTIONS,
});
server.on('connection', (ws) => {
  ws.on('message', echoListener(ws));
  ws.on('error', () => {}); // protocol errors already end in a close code
});

try {
  await server.listen();
} catch (error) {
  console.error(`echo-server: cannot listen on 127.0.0.1:${values.port}: ${(error as Error).message}`);
  process.exit(1);
}
console.log(ECHO_READY_LINE);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.close({ timeout: 2000 });
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
