// WebSocket over a Unix domain socket: the server accepts sessions on a
// socket file; the client is the WHATWG WebSocket class with a connector
// that dials the socket instead of TCP.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { acceptWebSocket, connectWebSocket } from '@framewire/codec/session';
import { WebSocket } from '@framewire/codec/whatwg';
import { nodeScheduler, streamTransport, toWebSocketStream } from '@framewire/node-adapter';

const dir = mkdtempSync(join(tmpdir(), 'framewire-'));
const path = join(dir, 'ws.sock');

// Server: each accepted socket becomes a WebSocketStream that echoes, with backpressure both ways.
const server = createServer((socket) => {
  const transport = streamTransport(Duplex.toWeb(socket));
  const upgrade = acceptWebSocket(transport, { scheduler: nodeScheduler });
  transport.attach(upgrade);
  upgrade.result.then(async (result) => {
    if (result.type !== 'accepted') return;
    const { readable, writable } = await toWebSocketStream(result.session).opened;
    await readable.pipeTo(writable).catch(() => {});
  });
});
await new Promise((resolve) => server.listen(path, resolve));

// Client: the browser's WebSocket; its third argument says how to reach the server.
const overUnixSocket = async (url, { protocols, signal }) => {
  const socket = createConnection(path);
  signal.addEventListener('abort', () => socket.destroy());
  const transport = streamTransport(Duplex.toWeb(socket));
  const upgrade = connectWebSocket(transport, { url, protocols, scheduler: nodeScheduler });
  transport.attach(upgrade);
  return upgrade.session;
};
const ws = new WebSocket('ws://localhost/echo', [], overUnixSocket);
ws.onopen = () => ws.send('hello over a Unix socket');
ws.onmessage = (event) => {
  console.log(event.data); // hello over a Unix socket
  ws.close(1000, 'done');
};
ws.onclose = (event) => {
  console.log('closed', event.code, event.wasClean); // closed 1000 true
  server.close();
  rmSync(dir, { recursive: true, force: true });
};
