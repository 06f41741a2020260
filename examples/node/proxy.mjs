import { createServer, connect as dial } from 'node:net';
import { WebSocketServer, connect } from '@framewire/node-adapter';

// A minimal CONNECT proxy, so the example runs alone (in real use: squid, a corporate proxy).
const proxy = createServer((client) => {
  client.once('data', (head) => {
    const [, host, port] = /^CONNECT (\S+):(\d+) /.exec(head.toString('latin1'));
    const upstream = dial(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      client.pipe(upstream).pipe(client);
    });
  });
});
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (ws) => ws.send('hello through the proxy'));
const { port } = await server.listen();

// Or `proxy: 'http://user:password@proxy.example:3128'`, or `proxy: { fromEnv: true }` for HTTPS_PROXY / NO_PROXY.
const ws = await connect(`ws://127.0.0.1:${port}/`, { proxy: `http://127.0.0.1:${proxy.address().port}` });
for await (const message of ws) {
  console.log(message); // hello through the proxy
  ws.close(1000);
}
await server.close();
proxy.close();
