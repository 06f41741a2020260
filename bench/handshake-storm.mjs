// Connection storm: opens `--count` WebSocket connections against a running
// echo server, `--concurrency` at a time; each completes its upgrade (offering
// permessage-deflate, as browsers do) and is then reset. Prints handshakes per
// second and, with `--pid`, the server's CPU time per handshake (user + sys
// from /proc). Not part of `pnpm bench`: a tool for comparing handshake cost.
//
//   node bench/handshake-storm.mjs --port 9001 [--count 5000] [--concurrency 50] [--pid N]
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '50' },
    pid: { type: 'string' },
  },
  strict: true,
});
if (values.port === undefined) {
  console.error('usage: node bench/handshake-storm.mjs --port N [--count 5000] [--concurrency 50] [--pid N]');
  process.exit(2);
}
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Math.min(Number(values.concurrency), count);
const TIMEOUT_MS = 60_000;

/** Server CPU in ms (utime + stime, clock ticks of 10 ms on Linux). */
function serverCpuMs() {
  if (values.pid === undefined) return undefined;
  const fields = readFileSync(`/proc/${values.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const key = Buffer.from('framewire-storm!').toString('base64');
const request = Buffer.from(
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
  'latin1',
);

let started = 0;
let finished = 0;
let refused = 0;
const cpuBefore = serverCpuMs();
const t0 = performance.now();
await new Promise((resolve, reject) => {
  const deadline = setTimeout(() => reject(new Error(`storm did not finish within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  const done = () => {
    finished++;
    if (finished === count) {
      clearTimeout(deadline);
      resolve();
    } else next();
  };
  const next = () => {
    if (started >= count) return;
    started++;
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => socket.write(request));
    let head = '';
    let settled = false;
    const settle = (ok) => {
      if (settled) return;
      settled = true;
      if (!ok) refused++;
      socket.resetAndDestroy(); // no TIME_WAIT pile-up on loopback
      done();
    };
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n')) settle(head.startsWith('HTTP/1.1 101'));
    });
    socket.on('error', () => settle(false));
    socket.on('close', () => settle(false));
  };
  for (let i = 0; i < concurrency; i++) next();
});
const seconds = (performance.now() - t0) / 1000;
const cpuAfter = serverCpuMs();
const result = { handshakes: count, refused, perSecond: Math.round(count / seconds) };
if (cpuBefore !== undefined && cpuAfter !== undefined) result.serverCpuUsPerHandshake = Math.round(((cpuAfter - cpuBefore) * 1000) / count);
console.log(JSON.stringify(result));
process.exit(refused > 0 ? 1 : 0);
