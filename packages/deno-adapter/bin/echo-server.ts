// The Deno echo server behind `pnpm echo-server --runtime deno|deno-serve --port N [--tls]`
// (DESIGN.md "Entry points every runtime provides"): 127.0.0.1:N, every path,
// echoes every message with its type, messages up to 64 MiB, prints READY
// once listening, closes gracefully on SIGINT/SIGTERM.
//   raw TCP (default): framewire's WebSocketServer on Deno.listen(Tls), with permessage-deflate.
//   --serve:           Deno.serve + framewire's ServeUpgrader (Deno frames the bytes; no permessage-deflate).
// Usage: deno run --allow-net=127.0.0.1 --allow-read echo-server.ts --port N [--cert cert.pem --key key.pem] [--serve]
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, ECHO_READY_LINE, echoListener } from '@framewire/testkit/echo';
import { ServeUpgrader, WebSocketServer } from '../dist/index.js';

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: 'string', default: '9001' },
    cert: { type: 'string' },
    key: { type: 'string' },
    serve: { type: 'boolean', default: false },
  },
  strict: true,
});
const MiB = 1024 * 1024;
const port = Number(values.port);
const tls =
  values.cert !== undefined && values.key !== undefined
    ? { cert: Deno.readTextFileSync(values.cert), key: Deno.readTextFileSync(values.key) }
    : undefined;

let stop: () => Promise<void>;
if (values.serve) {
  const upgrader = new ServeUpgrader({ maxPayload: ECHO_OPTIONS.maxPayload, maxBufferedAmount: ECHO_OPTIONS.maxBufferedAmount, highWaterMark: 16 * MiB });
  upgrader.on('connection', (ws) => {
    ws.on('message', echoListener(ws));
    ws.on('error', () => {}); // reported through the close code
  });
  const abort = new AbortController();
  const ready = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: '127.0.0.1', port, signal: abort.signal, onListen: () => ready.resolve(), ...(tls !== undefined ? { cert: tls.cert, key: tls.key } : {}) },
    // Every request goes to the upgrader, so a plain GET gets the codec's 426/400 like the raw-TCP server.
    (request) => upgrader.upgrade(request),
  );
  await ready.promise;
  stop = async () => {
    await upgrader.close({ timeout: 2000 });
    abort.abort();
    await server.finished;
  };
} else {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port,
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
    console.error(`echo-server: cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
    Deno.exit(1);
  }
  stop = () => server.close({ timeout: 2000 });
}
console.log(ECHO_READY_LINE);

let stopping = false;
const onSignal = (): void => {
  if (stopping) return;
  stopping = true;
  void stop().then(() => Deno.exit(0));
};
Deno.addSignalListener('SIGINT', onSignal);
Deno.addSignalListener('SIGTERM', onSignal);
