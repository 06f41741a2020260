// A hostile or broken peer over raw TCP, run by Node as a child process of
// the adapter behaviour suite (so Bun's and Deno's tests get real resets:
// Node's socket.resetAndDestroy() sets SO_LINGER 0 and sends RST).
//
// Usage: node raw-peer.mjs MODE PORT [COUNT]
//   rst N             connect, then reset at once, N times
//   rst-handshake N   send half a request head, then reset, N times
//   rst-frame N       upgrade, send half a frame, then reset, N times
//   silent            upgrade, then never send or answer anything; prints
//                     `closed <ms>` when the server drops the socket
//   ping-flood N      upgrade, send N pings, never read; prints `sent` and
//                     stays until the server drops the socket
// Every mode ends within 60 s and binds nothing (127.0.0.1 only).
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const [mode, portArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg ?? '1');
setTimeout(() => {
  console.log('timeout');
  process.exit(3);
}, 60_000).unref();

function requestHead() {
  const key = randomBytes(16).toString('base64');
  return `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** A masked client frame (RFC 6455 §5.2) with a zero mask key: the payload is sent as is. */
function maskedFrame(opcode, payload, fin = true) {
  if (payload.length > 125) throw new Error('short frames only');
  const head = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length, 0, 0, 0, 0]);
  return Buffer.concat([head, payload]);
}

function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Connect and finish the opening handshake; resolves once the 101 head was read. */
async function upgrade() {
  const socket = await connect();
  socket.write(requestHead());
  await new Promise((resolve, reject) => {
    let head = '';
    const onData = (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`));
      else resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return socket;
}

const settle = (socket) => new Promise((resolve) => setTimeout(resolve, 2)).then(() => socket.resetAndDestroy());

switch (mode) {
  case 'rst':
    for (let i = 0; i < count; i++) {
      const socket = await connect();
      socket.resetAndDestroy();
    }
    break;
  case 'rst-handshake':
    for (let i = 0; i < count; i++) {
      const socket = await connect();
      const head = requestHead();
      socket.write(head.slice(0, head.length >> 1));
      await settle(socket);
    }
    break;
  case 'rst-frame':
    for (let i = 0; i < count; i++) {
      const socket = await upgrade();
      const frame = maskedFrame(0x1, Buffer.from('half a frame, then a reset'));
      socket.write(frame.subarray(0, 10));
      await settle(socket);
    }
    break;
  case 'silent': {
    const socket = await upgrade();
    const started = Date.now();
    socket.on('data', () => {}); // read (and ignore) the pings; answer nothing
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('close', resolve));
    console.log(`closed ${Date.now() - started}`);
    break;
  }
  case 'ping-flood': {
    const socket = await upgrade();
    socket.pause(); // never read a pong
    socket.on('error', () => {});
    const ping = maskedFrame(0x9, Buffer.from('flood'));
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    let sent = 0;
    let open = true;
    socket.once('close', () => (open = false));
    while (open && sent < count) {
      const ok = socket.write(batch);
      sent += 1000;
      if (!ok) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
    }
    console.log(`sent ${sent}`);
    if (open) await new Promise((resolve) => socket.once('close', resolve));
    break;
  }
  default:
    console.error(`raw-peer: unknown mode ${mode}`);
    process.exit(2);
}
process.exit(0);
