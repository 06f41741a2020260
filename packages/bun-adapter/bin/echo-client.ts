// The Bun echo client behind `pnpm echo-client --runtime bun URL [--ca cert.pem]`
// (DESIGN.md "Entry points every runtime provides"): connects offering
// permessage-deflate, echoes every message with its type, prints the close
// code and exits: 0 after a clean close, 1 after an unclean end or a failed
// handshake or connection.
// Usage: bun run bin/echo-client.ts ws://host:port/path [--ca cert.pem]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
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
const MiB = 1024 * 1024;

let ws: Session;
try {
  ws = await connect(url, {
    perMessageDeflate: true,
    maxPayload: 64 * MiB,
    maxBufferedAmount: 256 * MiB,
    ...(values.ca !== undefined ? { tls: { ca: readFileSync(values.ca, 'utf8') } } : {}),
  });
} catch (error) {
  const e = error as { code?: string; status?: number; message: string };
  const status = e.status !== undefined ? ` (HTTP ${e.status})` : '';
  console.log(`FAILED ${e.code ?? 'ERROR'}${status}: ${e.message}`);
  process.exit(1);
}
ws.on('message', (data, isBinary) => {
  if (ws.readyState !== 1) return undefined;
  return ws.send(data, { binary: isBinary }) ? undefined : ws.drained();
});
ws.on('error', () => {}); // reported through the close code
const closeOnSignal = (): void => {
  if (ws.readyState === 1) ws.close(1000, 'client stopping');
};
process.on('SIGINT', closeOnSignal);
process.on('SIGTERM', closeOnSignal);

const { code, reason, wasClean } = await ws.closed;
console.log(`CLOSE ${code}${reason !== '' ? ` ${reason}` : ''}`);
process.exit(wasClean ? 0 : 1);
