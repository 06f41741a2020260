// One receiving client of the CLI line-rate benchmark, in its own process so
// that clients do not share an event loop with each other.
//   node line-client.mjs URL COUNT SEND_GO(0|1)
// Connects, prints "ready", waits for a line on stdin, then (when SEND_GO is
// 1) sends "go"; counts text messages that are not restart notices until
// COUNT arrived, prints "done", closes and exits.
//
// A raw TCP reader, not a WebSocket library: the same cheap client for both
// servers, so the server is what is measured (a full client per message cost
// more CPU than the server side and capped both servers' figures). It still
// checks what it counts: the 101 and the accept key, every frame header
// (FIN set, no RSV bit, no mask from a server, a text/close/ping/pong
// opcode), and that each payload is a decimal line as `seq` prints it.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const [url, countText, sendGo] = process.argv.slice(2);
const count = Number(countText);
const { hostname, port, pathname, search } = new URL(url);
const key = randomBytes(16).toString('base64');
const acceptKey = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const NOTICE = Buffer.from('framewire: ');

const socket = connect(Number(port), hostname);
socket.setNoDelay(true);
socket.write(
  `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
);

let pending = Buffer.alloc(0);
let upgraded = false;
let received = 0;
let finished = false;

function fail(why) {
  process.stderr.write(`line-client: ${why}\n`);
  process.exit(1);
}

/** A masked client frame (RFC 6455 §5.3); payloads here are < 126 bytes. */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4);
  const head = Buffer.from([0x80 | opcode, 0x80 | payload.length, ...mask]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, body]);
}

/** A payload as `seq` prints it: 1–20 ASCII digits. */
function isSeqLine(buffer, start, end) {
  if (end - start < 1 || end - start > 20) return false;
  for (let i = start; i < end; i++) if (buffer[i] < 0x30 || buffer[i] > 0x39) return false;
  return true;
}

/** A restart notice (`framewire: …`): compared byte by byte in place, no view made per frame. */
function isNotice(buffer, start, end) {
  if (end - start < NOTICE.length || buffer[start] !== NOTICE[0]) return false;
  for (let i = 1; i < NOTICE.length; i++) if (buffer[start + i] !== NOTICE[i]) return false;
  return true;
}

function readFrames() {
  let offset = 0;
  while (pending.length - offset >= 2) {
    const b0 = pending[offset];
    const b1 = pending[offset + 1];
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (pending.length - offset < 4) break;
      length = pending.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (pending.length - offset < 10) break;
      length = Number(pending.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if ((b1 & 0x80) !== 0) fail('masked frame from the server');
    if ((b0 & 0x70) !== 0) fail('RSV bit set (no extension was offered)');
    if ((b0 & 0x80) === 0) fail('fragmented message (lines are short)');
    if (pending.length - offset < header + length) break;
    const start = offset + header;
    const end = start + length;
    offset = end;
    const opcode = b0 & 0x0f;
    if (opcode === 0x1) {
      if (finished || isNotice(pending, start, end)) continue;
      if (!isSeqLine(pending, start, end)) fail(`unexpected line ${JSON.stringify(pending.toString('utf8', start, end))}`);
      if (++received === count) {
        finished = true;
        process.stdout.write('done\n');
        socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
      }
    } else if (opcode === 0x8) {
      socket.end();
      return;
    } else if (opcode === 0x9) {
      socket.write(clientFrame(0xa, pending.subarray(start, end)));
    } else if (opcode !== 0xa) {
      fail(`unexpected opcode ${opcode}`);
    }
  }
  pending = pending.subarray(offset);
}

socket.on('data', (chunk) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  if (!upgraded) {
    const end = pending.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = pending.toString('latin1', 0, end);
    if (!/^HTTP\/1\.1 101 /.test(head)) fail(`no upgrade: ${head.split('\r\n')[0]}`);
    if (!new RegExp(`^sec-websocket-accept: *${acceptKey.replace(/[+/]/g, '\\$&')} *$`, 'im').test(head)) fail('wrong Sec-WebSocket-Accept');
    upgraded = true;
    pending = pending.subarray(end + 4);
    process.stdout.write('ready\n');
  }
  readFrames();
});
// A reset after the last line is the server hanging up first (websocketd does when its `seq` ends).
socket.on('error', (error) => (finished ? process.exit(0) : fail(error.message)));
socket.on('close', () => process.exit(finished ? 0 : 1));
process.stdin.once('data', () => {
  if (sendGo === '1') socket.write(clientFrame(0x1, Buffer.from('go')));
});
