#!/usr/bin/env node
// The control server: ws echoing every message with its type on 127.0.0.1.
// Usage: node drivers/ws-echo-server.mjs [--port N]   (prints READY once listening)
import { WebSocketServer } from 'ws';

const at = process.argv.indexOf('--port');
const port = at === -1 ? 0 : Number(process.argv[at + 1]);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => undefined);
});
wss.on('listening', () => {
  const address = wss.address();
  console.log(`listening on ws://127.0.0.1:${typeof address === 'object' ? address.port : port}/`);
  console.log('READY');
});
const stop = () => wss.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
