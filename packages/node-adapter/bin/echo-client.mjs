// The Node echo client behind `pnpm echo-client --runtime node URL [--ca cert.pem]`
// (DESIGN.md "Entry points every runtime provides"): connects offering
// permessage-deflate, echoes every message with its type, prints the close
// code and exits: 0 after a clean close, 1 after an unclean end or a failed
// handshake or connection.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, echoCloseLine, echoExitCode, echoFailureLine, echoListener } from '@framewire/testkit/echo';
import { connect } from '../dist/index.js';

const { values, positionals } = parseArgs({
  options: { ca: { type: 'string' } },
  allowPositionals: true,
  strict: true,
});
const url = positionals[0];
if (url === undefined) {
  console.error('usage: node echo-client.mjs ws://host:port/path [--ca cert.pem]');
  process.exit(2);
}

let ws;
try {
  ws = await connect(url, {
    ...ECHO_OPTIONS,
    ...(values.ca !== undefined ? { tls: { ca: readFileSync(values.ca) } } : {}),
  });
} catch (error) {
  console.log(echoFailureLine(error));
  process.exit(1);
}
ws.on('message', echoListener(ws));
ws.on('error', () => {}); // reported through the close code
const closeOnSignal = () => {
  if (ws.readyState === 1) ws.close(1000, 'client stopping');
};
process.on('SIGINT', closeOnSignal);
process.on('SIGTERM', closeOnSignal);

const closed = await ws.closed;
console.log(echoCloseLine(closed));
process.exit(echoExitCode(closed));
