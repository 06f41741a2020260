// Floor echo on Node's raw node:net sockets (see floor-echo-core.mjs).
// Usage: node bench/servers/floor-node.mjs --port N   (prints READY)
import { createServer } from 'node:net';
import { FloorEcho } from './floor-echo-core.mjs';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const server = createServer({ noDelay: true }, (socket) => {
  const echo = new FloorEcho();
  socket.on('data', (chunk) => {
    const out = echo.receive(chunk);
    if (out !== undefined) socket.write(out);
    if (echo.closed) socket.end();
  });
  socket.on('error', () => socket.destroy());
});
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
