// The `ws` peer: echoes every message with its type. Run with
// WS_NO_BUFFER_UTIL=1 for the plain-JavaScript row, without it for the
// bufferutil row. permessage-deflate is enabled with ws's defaults (server
// context takeover on); it is only used when the client offers it.
// Usage: node bench/servers/ws-echo.mjs --port N   (prints READY)
import { WebSocketServer } from 'ws';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const server = new WebSocketServer({
  host: '127.0.0.1',
  port,
  backlog: 4096,
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: true,
});
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => socket.terminate());
});
server.on('listening', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));
