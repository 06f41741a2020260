// The Bun echo client behind `pnpm echo-client --runtime bun URL [--ca cert.pem]`
// (DESIGN.md "Entry points every runtime provides"): connects offering
// permessage-deflate, echoes every message with its type, prints the close
// code and exits: 0 after a clean close, 1 after an unclean end or a failed
// handshake or connection.
// Usage: bun run bin/echo-client.ts ws://host:port/path [--ca cert.pem]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, echoCloseLine, echoExitCode, echoFailureLine, echoListener } from '@framewire/testkit/echo';
import { connect, type Session } from '../src/index.js';

const { values, positionals } = parseArgs({
  options: { ca: { type: 'string' } },
  allowPositionals: true,
  strict: true,
});
const url = positionals[0];
if (url === undefined) {
  console.error('usage: bun run echo-client.ts ws://host:port/path [--ca cert.pem]');
  process.exit(2);
}

let ws: Session;
try {
  ws = await connect(url, {
    ...ECHO_OPTIONS,
    ...(values.ca !== undefined ? { tls: { ca: readFileSync(values.ca, 'utf8') } } : {}),
  });
} catch (error) {
  console.log(echoFailureLine(error));
  process.exit(1);
}
ws.on('message', echoListener(ws));
ws.on('error', () => {}); // reported through the close code
const closeOnSignal = (): void => {
  if (ws.readyState === 1) ws.close(1000, 'client stopping');
};
process.on('SIGINT', closeOnSignal);
process.on('SIGTERM', closeOnSignal);

const closed = await ws.closed;
console.log(echoCloseLine(closed));
process.exit(echoExitCode(closed));
