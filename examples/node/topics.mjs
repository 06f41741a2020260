import { WebSocketServer, connect } from '@framewire/node-adapter';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (ws, request) => {
  const room = request.path.slice(1); // ws://host/lobby joins the topic "lobby"
  ws.subscribe(room);
  // Relay what one member says to everyone else in the room: framed once, written to each.
  ws.on('message', (data, isBinary) => server.publish(room, data, { binary: isBinary, except: ws }));
});
const { port } = await server.listen();

const alice = await connect(`ws://127.0.0.1:${port}/lobby`);
const bob = await connect(`ws://127.0.0.1:${port}/lobby`);
const next = (ws) => new Promise((resolve) => ws.once('message', resolve));

const toBob = next(bob);
alice.send('hi from alice');
console.log('bob got:', await toBob); // alice, the sender, is left out
console.log('subscribers:', server.subscriberCount('lobby'));

// From anywhere, not only inside a handler: a timer, an HTTP route...
const both = Promise.all([next(alice), next(bob)]);
setTimeout(() => console.log('delivered to', server.publish('lobby', 'server says hello')), 10);
console.log('both got:', (await both).join(' | '));

alice.close();
bob.close();
await server.close();
console.log('topics left:', server.topics.length); // closed sessions leave every topic
