// WebSockets over one HTTP/2 connection (RFC 8441) against the same number
// over HTTP/1.1, each over TLS, on the framewire Node echo server started as
// `pnpm echo-server --runtime node --http2` starts it (h2 and http/1.1 on one
// port). Reports handshakes per second (opening `--count` WebSockets,
// `--concurrency` at a time) and the server's resident memory per open
// WebSocket (RSS after, minus RSS before, over the count), median of
// `--reps` fresh servers per transport. Every WebSocket offers
// permessage-deflate, as browsers do.
//
//   node bench/http2-vs-http1.mjs [--count 1000] [--concurrency 100] [--reps 3]
//   pnpm bench --http2   (the same, with the defaults)
import { spawn } from 'node:child_process';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeSelfSignedCert } from '../scripts/echo-server.mjs';
import { processTree, rssKiB } from './lib/procfs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STEP_TIMEOUT_MS = 60_000;

/** Start a fresh h2 + http/1.1 echo server on a free port; resolves once it printed READY. */
async function startServer(cert) {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(
    process.execPath,
    [join(root, 'packages/node-adapter/bin/echo-server.mjs'), '--port', String(port), '--cert', cert.certPath, '--key', cert.keyPath, '--http2'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('echo server: no READY within 10 s')), 10_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (/^READY$/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  return { port, child };
}

/** Run `open(i)` for i < count, `concurrency` at a time; resolves with the opened handles. */
async function storm(count, concurrency, open) {
  const handles = [];
  let next = 0;
  const worker = async () => {
    while (next < count) handles.push(await open(next++));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return handles;
}

function within(promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS))),
  ]);
}

/** Open `count` WebSockets as extended CONNECT streams of one HTTP/2 connection. */
async function overHttp2(port, cert, count, concurrency) {
  const session = http2Connect(`https://127.0.0.1:${port}`, { ca: cert.cert, maxSessionMemory: 256 });
  session.on('error', () => {});
  await new Promise((resolve, reject) => {
    session.once('remoteSettings', resolve);
    session.once('error', reject);
  });
  if (session.remoteSettings.enableConnectProtocol !== true) throw new Error('the server does not advertise extended CONNECT');
  const streams = await storm(count, concurrency, (i) =>
    new Promise((resolve, reject) => {
      const stream = session.request(
        {
          ':method': 'CONNECT',
          ':protocol': 'websocket',
          ':scheme': 'https',
          ':authority': `127.0.0.1:${port}`,
          ':path': `/ws${i}`,
          'sec-websocket-version': '13',
          'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
        },
        { endStream: false },
      );
      stream.on('error', reject);
      stream.once('response', (headers) => (headers[':status'] === 200 ? resolve(stream) : reject(new Error(`:status ${headers[':status']}`))));
    }),
  );
  return { connections: 1, close: () => session.destroy(), handles: streams };
}

const KEY = Buffer.from('framewire-bench!').toString('base64');

/** Open `count` WebSockets, each an HTTP/1.1 upgrade on its own TLS connection. */
async function overHttp1(port, cert, count, concurrency) {
  const request = Buffer.from(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
    'latin1',
  );
  const sockets = await storm(count, concurrency, () =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: cert.cert, ALPNProtocols: ['http/1.1'] }, () => socket.write(request));
      let head = '';
      const onData = (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        if (head.startsWith('HTTP/1.1 101')) resolve(socket);
        else reject(new Error(head.split('\r\n')[0]));
      };
      socket.on('data', onData);
      socket.on('error', reject);
    }),
  );
  return { connections: count, close: () => sockets.forEach((s) => s.destroy()), handles: sockets };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(kind, open, cert, { count, concurrency, reps }) {
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const server = await startServer(cert);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pids = processTree(server.child.pid);
      const before = rssKiB(pids);
      const t0 = performance.now();
      const opened = await within(open(server.port, cert, count, concurrency), `${kind}: opening ${count} WebSockets`);
      const seconds = (performance.now() - t0) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the server settle
      const after = rssKiB(processTree(server.child.pid));
      runs.push({ perSecond: count / seconds, kibPerSocket: (after - before) / count, tcp: opened.connections });
      opened.close();
    } finally {
      server.child.kill('SIGKILL');
    }
  }
  return {
    kind,
    perSecond: Math.round(median(runs.map((r) => r.perSecond))),
    kibPerSocket: Number(median(runs.map((r) => r.kibPerSocket)).toFixed(1)),
    tcpConnections: runs[0].tcp,
  };
}

/** Run both transports and print a table; returns the rows. */
export async function runHttp2Bench({ count = 1000, concurrency = 100, reps = 3 } = {}) {
  const cert = makeSelfSignedCert();
  const settings = { count, concurrency, reps };
  const rows = [await measure('HTTP/2 (one connection)', overHttp2, cert, settings), await measure('HTTP/1.1 (TLS each)', overHttp1, cert, settings)];
  console.log(`\n${count} WebSockets, ${concurrency} at a time, TLS, permessage-deflate offered; median of ${reps} fresh servers`);
  console.log('| transport | TCP connections | handshakes/s | server RSS per WebSocket |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.kind} | ${row.tcpConnections} | ${row.perSecond} | ${row.kibPerSocket} KiB |`);
  const [h2, h1] = rows;
  console.log(`\nHTTP/2 / HTTP/1.1: ${(h2.perSecond / h1.perSecond).toFixed(2)}× handshakes/s, ${(h2.kibPerSocket / h1.kibPerSocket).toFixed(2)}× memory per WebSocket`);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '100' }, reps: { type: 'string', default: '3' } },
    strict: true,
  });
  await runHttp2Bench({ count: Number(values.count), concurrency: Number(values.concurrency), reps: Number(values.reps) });
  process.exit(0);
}
