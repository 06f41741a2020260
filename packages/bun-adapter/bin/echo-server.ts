// The Bun echo server behind `pnpm echo-server --runtime bun|bun-serve --port N [--tls]`
// (DESIGN.md "Entry points every runtime provides"): 127.0.0.1:N, every path,
// echoes every message with its type, accepts permessage-deflate, messages up
// to 64 MiB, prints READY once listening, closes gracefully on SIGINT/SIGTERM.
//   raw TCP (default): framewire's WebSocketServer on Bun.listen, with permessage-deflate.
//   --serve:           Bun.serve + framewire's BunServeUpgrader (Bun frames the bytes and runs permessage-deflate).
// Usage: bun run bin/echo-server.ts --port N [--cert cert.pem --key key.pem] [--serve]
// It imports the adapter's source (Bun runs TypeScript as is), so only the
// codec needs to be built.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, ECHO_READY_LINE, echoListener } from '@framewire/testkit/echo';
import { BunServeUpgrader, WebSocketServer } from '../src/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9001' },
    cert: { type: 'string' },
    key: { type: 'string' },
    serve: { type: 'boolean', default: false },
  },
  strict: true,
});
const tls =
  values.cert !== undefined && values.key !== undefined
    ? { cert: readFileSync(values.cert, 'utf8'), key: readFileSync(values.key, 'utf8') }
    : undefined;

let stop: () => Promise<void>;
if (values.serve) {
  const upgrader = new BunServeUpgrader({
    maxPayload: ECHO_OPTIONS.maxPayload,
    maxBufferedAmount: ECHO_OPTIONS.maxBufferedAmount,
    highWaterMark: 16 * 1024 * 1024,
    perMessageDeflate: ECHO_OPTIONS.perMessageDeflate,
  });
  upgrader.on('connection', (ws) => {
    ws.on('message', echoListener(ws));
    ws.on('error', () => {}); // reported through the close code
  });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: Number(values.port),
      ...(tls !== undefined ? { tls } : {}),
      // Every request goes to the upgrader, so a plain GET gets the codec's 426/400 like the raw-TCP server.
      fetch: (request, srv) => upgrader.upgrade(request, srv),
      websocket: upgrader.websocket,
    });
  } catch (error) {
    console.error(`echo-server: cannot listen on 127.0.0.1:${values.port}: ${(error as Error).message}`);
    process.exit(1);
  }
  stop = async () => {
    await upgrader.close({ timeout: 2000 });
    await server.stop(true);
  };
} else {
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
  stop = () => server.close({ timeout: 2000 });
}
console.log(ECHO_READY_LINE);

let stopping = false;
const onSignal = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await stop();
  process.exit(0);
};
process.on('SIGINT', () => void onSignal());
process.on('SIGTERM', () => void onSignal());
