import { WebSocket, WebSocketServer, WebSocketStream } from '@framewire/bun-adapter';

// Server: browser-style code over each accepted connection ('connection' hands out a WebSocket).
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, protocols: ['chat.v1'], shape: 'websocket' });
server.on('connection', (ws) => {
  ws.onmessage = (event) => ws.send(`echo: ${event.data}`);
});
const { port } = await server.listen();

// Client 1: the WHATWG WebSocket, as in a browser.
const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['chat.v1']);
ws.onopen = () => ws.send('hello');
await new Promise((resolve) => {
  ws.onmessage = (event) => {
    console.log(ws.protocol, event.data); // chat.v1 echo: hello
    ws.close(1000);
  };
  ws.onclose = (event) => resolve(console.log('close', event.code, event.wasClean)); // close 1000 true
});

// Client 2: WebSocketStream; write() waits when the server falls behind.
const wss = new WebSocketStream(`ws://127.0.0.1:${port}/`);
const { readable, writable } = await wss.opened;
const writer = writable.getWriter();
await writer.write('streamed');
const { value } = await readable.getReader().read();
console.log(value); // echo: streamed
wss.close({ closeCode: 1000, reason: 'done' });
console.log(JSON.stringify(await wss.closed)); // {"closeCode":1000,"reason":""}
await server.close();
