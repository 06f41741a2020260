import { WebSocketServer, connect } from '@framewire/node-adapter';

// rawText: text arrives as its UTF-8 bytes (already validated), never as a string.
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, rawText: true });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    console.log(isBinary ? 'binary' : 'text', data instanceof Uint8Array, data.length); // text true 6
    ws.send(data, { binary: isBinary }); // forwarded as text: no decode, no encode
  });
});
const { port } = await server.listen();

const ws = await connect(`ws://127.0.0.1:${port}/`);
ws.send('héllo');
for await (const message of ws) {
  console.log(message); // héllo (a string: this client did not ask for rawText)
  ws.close(1000);
}
await server.close({ timeout: 5000 });
