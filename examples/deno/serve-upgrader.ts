import { ServeUpgrader, allowOrigins, connect, isWebSocketRequest } from '@framewire/deno-adapter';

const sockets = new ServeUpgrader({ accept: allowOrigins(['https://app.example']), protocols: ['chat'], maxPayload: 1 << 20 });
sockets.on('connection', (ws, request) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
const server = Deno.serve(
  { hostname: '127.0.0.1', port: 0, onListen() {} }, // port 0: any free port
  (request, info) => (isWebSocketRequest(request) ? sockets.upgrade(request, info) : new Response('hello')),
);
const { port } = server.addr;

console.log(await (await fetch(`http://127.0.0.1:${port}/`)).text()); // hello
const ws = await connect(`ws://127.0.0.1:${port}/`, { protocols: ['chat'], origin: 'https://app.example' });
console.log(ws.protocol); // chat
ws.send('echo me');
for await (const message of ws) {
  console.log(message); // echo me
  ws.close(1000);
}
await sockets.close({ timeout: 5000 }); // 1001 to every socket, those still upgrading included
await server.shutdown();
