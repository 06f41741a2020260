// framewire's Node echo (the same options and echo loop as
// `pnpm echo-server --runtime node`) with permessage-deflate at the zlib level
// in FW_DEFLATE_LEVEL: the row that compares with ws at ws's own level (6),
// so "msgs/s at equal compressed size" is measured, not inferred.
// Usage: FW_DEFLATE_LEVEL=6 node bench/servers/fw-level-echo.mjs --port N   (prints READY)
import { ECHO_OPTIONS, ECHO_READY_LINE, echoListener } from '@framewire/testkit/echo';
import { WebSocketServer } from '@framewire/node-adapter';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const level = Number(process.env.FW_DEFLATE_LEVEL ?? 6);
const server = new WebSocketServer({ host: '127.0.0.1', port, ...ECHO_OPTIONS, perMessageDeflate: { level } });
server.on('connection', (ws) => {
  ws.on('message', echoListener(ws));
  ws.on('error', () => {});
});
await server.listen();
console.log(ECHO_READY_LINE);
process.on('SIGTERM', () => process.exit(0));
