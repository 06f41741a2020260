// The Deno echo client behind `pnpm echo-client --runtime deno URL [--ca cert.pem] [--send TEXT [--count N]]`
// (DESIGN.md "Entry points every runtime provides"): connects offering
// permessage-deflate, echoes every message with its type, prints the close
// code and exits: 0 after a clean close, 1 after an unclean end or a failed
// handshake or connection. With --send it speaks first (see startEchoClient).
// It says what it does on stderr; stdout keeps the lines a harness reads.
// Usage: deno run --allow-net=127.0.0.1 --allow-read echo-client.ts ws://127.0.0.1:9001/ [--ca cert.pem]
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, echoCloseLine, echoExitCode, echoFailureLine, parseEchoCount, startEchoClient } from '@framewire/testkit/echo';
import { connect, type Session } from '../dist/index.js';

const { values, positionals } = parseArgs({ args: Deno.args, options: { ca: { type: 'string' }, send: { type: 'string' }, count: { type: 'string' } }, allowPositionals: true, strict: true });
const url = positionals[0];
const count = parseEchoCount(values.send, values.count);
if (url === undefined || typeof count === 'string') {
  if (typeof count === 'string') console.error(`echo-client: ${count}`);
  console.error('usage: deno run echo-client.ts ws://host:port/path [--ca cert.pem] [--send TEXT [--count N]]');
  Deno.exit(2);
}
console.error(`echo-client: connecting to ${url}`);

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
startEchoClient(ws, { send: values.send, count }, (line) => console.log(line), (line) => console.error(line));
ws.on('error', () => {}); // reported through the close code
const closeOnSignal = (): void => {
  if (ws.readyState === 1) ws.close(1000, 'client stopping');
};
Deno.addSignalListener('SIGINT', closeOnSignal);
Deno.addSignalListener('SIGTERM', closeOnSignal);

const closed = await ws.closed;
console.log(echoCloseLine(closed));
Deno.exit(echoExitCode(closed));
