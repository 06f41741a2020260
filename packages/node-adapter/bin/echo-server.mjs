// The Node echo server behind `pnpm echo-server --runtime node --port N [--tls]`
// (DESIGN.md "Entry points every runtime provides"): 127.0.0.1:N, every path,
// echoes every message with its type, accepts permessage-deflate, messages up
// to 64 MiB, prints READY once listening, closes gracefully on SIGINT/SIGTERM.
// Usage: node echo-server.mjs --port N [--cert cert.pem --key key.pem [--http2]]
// --http2: an http2 secure server (h2 and http/1.1 on one port, ALPN) with
// the WebSocket server attached: RFC 8441 extended CONNECT and HTTP/1.1
// upgrades both reach the same echo.
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { parseArgs } from 'node:util';
import { ECHO_OPTIONS, ECHO_READY_LINE, echoListener } from '@framewire/testkit/echo';
import { WebSocketServer } from '../dist/index.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '9001' }, cert: { type: 'string' }, key: { type: 'string' }, http2: { type: 'boolean', default: false } },
  strict: true,
});
const tls =
  values.cert !== undefined && values.key !== undefined
    ? { cert: readFileSync(values.cert), key: readFileSync(values.key) }
    : undefined;

if (values.http2 && tls === undefined) {
  console.error('echo-server: --http2 needs --cert and --key');
  process.exit(2);
}
const http2 = values.http2
  ? // maxSessionMemory (MB): one h2 connection may carry several 64 MiB messages at once (Node's default is 10).
    createSecureServer({ ...tls, allowHTTP1: true, settings: { enableConnectProtocol: true }, maxSessionMemory: 256 }, (_request, response) =>
      response.end('framewire echo server: open a WebSocket on any path (RFC 8441 over h2, or an HTTP/1.1 upgrade)\n'),
    )
  : undefined;
const server = new WebSocketServer(
  http2 !== undefined
    ? { server: http2, ...ECHO_OPTIONS }
    : { host: '127.0.0.1', port: Number(values.port), ...(tls !== undefined ? { tls } : {}), ...ECHO_OPTIONS },
);
server.on('connection', (ws) => {
  ws.on('message', echoListener(ws));
  ws.on('error', () => {}); // protocol errors already end in a close code
});

try {
  if (http2 === undefined) await server.listen();
  else {
    await new Promise((resolve, reject) => {
      http2.once('error', reject);
      http2.listen(Number(values.port), '127.0.0.1', resolve);
    });
    http2.on('error', () => {});
  }
} catch (error) {
  console.error(`echo-server: cannot listen on 127.0.0.1:${values.port}: ${error.message}`);
  process.exit(1);
}
console.log(ECHO_READY_LINE);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close({ timeout: 2000 });
  http2?.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
