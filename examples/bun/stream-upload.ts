import { createHash } from 'node:crypto';
import { WebSocketServer, connect } from '@framewire/bun-adapter';

// One port, two routes: only /upload takes big messages, and reads them as streams.
const chat = new WebSocketServer({ path: '/chat', maxPayload: 1024 ** 2 });
const upload = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  path: '/upload',
  maxPayload: 2 * 1024 ** 3,
  streamMessagesAbove: 1024 ** 2,
  routes: [chat],
});
upload.on('connection', (ws) => {
  ws.on('messageStream', async (body) => {
    // A reader that stops reading pauses the socket: memory stays bounded.
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const piece of body) {
      bytes += piece.length;
      hash.update(piece);
    }
    ws.send(`${bytes} bytes, sha256 ${hash.digest('hex').slice(0, 12)}`);
  });
});
const { port } = await upload.listen();

// 64 MiB made on the fly, sent as one message in 1 MiB fragments.
const client = await connect(`ws://127.0.0.1:${port}/upload`);
const piece = new Uint8Array(1024 ** 2).fill(7);
for (let i = 0; i < 64; i++) {
  if (!client.send(piece, { fin: i === 63 })) await client.drained();
}
for await (const answer of client) {
  console.log(answer); // 67108864 bytes, sha256 …
  client.close(1000);
}
const small = await connect(`ws://127.0.0.1:${port}/chat`);
small.send(new Uint8Array(2 * 1024 ** 2)); // over /chat's 1 MiB
console.log((await small.closed).code); // 1009
await Promise.all([upload.close(), chat.close()]);
