// The Deno echo client behind `pnpm echo-client --runtime deno URL [--ca cert.pem]`
// (DESIGN.md "Entry points every runtime provides"): connects offering
// permessage-deflate, echoes every message with its type, prints the close
// code and exits: 0 after a clean close, 1 after an unclean end or a failed
// handshake or connection.
// Usage: deno run --allow-net=127.0.0.1 --allow-read echo-client.ts ws://127.0.0.1:9001/ [--ca cert.pem]
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, echoCloseLine, echoExitCode, echoFailureLine, echoListener } from '@framewire/testkit/echo';
import { connect, type Session } from '../dist/index.js';

const { values, positionals } = parseArgs({ args: Deno.args, options: { ca: { type: 'string' } }, allowPositionals: true, strict: true });
const url = positionals[0];
if (url === undefined) {
  console.error('usage: deno run echo-client.ts ws://host:port/path [--ca cert.pem]');
  Deno.exit(2);
}

let ws: Session;
try {
  ws = await connect(url, {
    ...ECHO_OPTIONS,
    ...(values.ca !== undefined ? { tls: { caCerts: [Deno.readTextFileSync(values.ca)] } } : {}),
  });
} catch (error) {
  console.log(echoFailureLine(error));
  Deno.exit(1);
}
ws.on('message', echoListener(ws));
ws.on('error', () => {}); // reported through the close code
const closeOnSignal = (): void => {
  if (ws.readyState === 1) ws.close(1000, 'client stopping');
};
Deno.addSignalListener('SIGINT', closeOnSignal);
Deno.addSignalListener('SIGTERM', closeOnSignal);

const closed = await ws.closed;
console.log(echoCloseLine(closed));
Deno.exit(echoExitCode(closed));
