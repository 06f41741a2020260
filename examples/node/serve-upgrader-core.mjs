import { ServeSocketBase, ServeUpgraderCore, accept, reject } from '@framewire/codec/adapter';

// The decisions of a Deno.serve / Bun.serve style upgrader, with no runtime in sight:
// a runtime's Request becomes a plain head; a refusal comes back as plain data.
const scheduler = { now: () => performance.now(), setTimer: (fn, ms) => setTimeout(fn, ms), clearTimer: (t) => clearTimeout(t) };
const core = new ServeUpgraderCore(
  { path: '/rooms/:id', protocols: ['chat'], accept: (request) => (request.params.id === 'secret' ? reject(403) : accept({ data: { room: request.params.id } })) },
  scheduler,
  { rejected: (status, reason) => console.log('rejected', status, reason), close: () => console.log('closed') },
);
const head = (target) => ({
  method: 'GET',
  target,
  headers: [
    ['host', 'example.com'],
    ['upgrade', 'websocket'],
    ['connection', 'Upgrade'],
    ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['sec-websocket-version', '13'],
    ['sec-websocket-protocol', 'chat'],
  ],
});
const peer = () => ({ remoteAddress: '127.0.0.1', remotePort: 50000 });

const verdict = await core.decide(head('/rooms/42'), { runtime: 'none' }, peer);
console.log(verdict.type, verdict.request.params.id, verdict.decision.data.room, core.chooseProtocol(verdict.request)); // accept 42 42 chat
console.log((await core.decide(head('/rooms/secret'), {}, peer)).refusal.status); // 403
console.log((await core.decide(head('/lobby'), {}, peer)).refusal.status); // 404
console.log(core.metrics().handshakesRefused.map((row) => `${row.status} ${row.reason}`).join('; '));

// A runtime socket behind the Session-shaped API: the base keeps listeners, counters and the close outcome.
class EchoSocket extends ServeSocketBase {
  get bufferedAmount() {
    return 0;
  }
  receive(text) {
    this.countReceived(text.length);
    this.emit('message', [text, false]);
  }
  closeWith(code, reason) {
    this.finish({ code, reason, wasClean: true }); // a runtime would send the close frame first
  }
  goingAway(reason) {
    this.closeWith(1001, reason);
  }
  terminate() {
    this.finish({ code: 1006, reason: '', wasClean: false });
  }
  flushHeld() {}
  released() {}
}
const socket = new EchoSocket({ highWaterMark: 1024 });
core.register(socket);
socket.on('message', (text) => console.log('message', text)); // message hi
socket.receive('hi');
await core.close(); // 1001 to every socket, then 'close'
console.log(core.metrics().closeCodes); // [ { code: 1001, count: 1 } ]
