#!/usr/bin/env node
// The control client: ws connecting to URL (offering permessage-deflate),
// echoing every message with its type. Prints the close code; exits 0 after
// a clean close (close frames exchanged, any code), non-zero after a failed
// handshake or a failed connection (an error, or 1006: no close frame).
// Usage: node drivers/ws-echo-client.mjs ws://127.0.0.1:PORT/case/<id>
import WebSocket from 'ws';

const url = process.argv[process.argv.length - 1];
const ws = new WebSocket(url, { perMessageDeflate: true });
let failed = false;
ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
ws.on('error', (err) => {
  failed = true;
  console.error(`error: ${err.message}`);
});
ws.on('close', (code) => {
  console.log(`close ${code}`);
  process.exit(!failed && code !== 1006 ? 0 : 1);
});
setTimeout(() => process.exit(2), 60_000).unref();
