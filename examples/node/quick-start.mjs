import { WebSocketServer, allowOrigins, connect } from '@framewire/node-adapter';

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0, // any free port; the address comes back from listen()
  accept: allowOrigins(['https://app.example']), // 403 before any upgrade
  perMessageDeflate: true,
});
server.on('connection', (ws, request) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
const { port } = await server.listen();

const ws = await connect(`ws://127.0.0.1:${port}/chat`, { origin: 'https://app.example' });
ws.send('hello');
for await (const message of ws) {
  console.log(message); // hello (the echo)
  ws.close(1000); // the loop ends once the close handshake is done
}
await server.close({ timeout: 5000 }); // 1001 to every client still open, then wait
