// A server in its own process for the bounded-memory upload scenario
// (streaming.suite.ts), so the test runner's memory does not count:
//   RUNTIME upload-server.mjs ADAPTER_ENTRY node|routes
// One port, two routes: /upload (maxPayload 2 GiB, streamed above 1 MiB)
// and /chat (maxPayload 1 MiB). Prints `READY <port>`; answers each
// streamed message with JSON {bytes, sha256, rssBase, rssPeak}, then takes
// its baseline again (the test warms the server up with a first upload). Exits when
// stdin closes (the test ends) or after 120 s at most.
import { createHash } from 'node:crypto';
import process from 'node:process';

const MiB = 1024 * 1024;
const [entry, mode] = process.argv.slice(2);
const adapter = await import(entry);

const rss = () => process.memoryUsage().rss;
let peak = 0;
const sample = () => {
  const now = rss();
  if (now > peak) peak = now;
};

function onUpload(ws) {
  ws.on('error', () => {});
  ws.on('messageStream', async (body) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let pieces = 0;
    for await (const piece of body) {
      bytes += piece.length;
      hash.update(piece);
      if (++pieces % 16 === 0) sample();
    }
    sample();
    ws.send(JSON.stringify({ bytes, sha256: hash.digest('hex'), rssBase, rssPeak: peak }));
    // The next upload is measured from here: the first one is the test's
    // warm-up (what a running server holds is the baseline, not a cold one).
    globalThis.gc?.();
    rssBase = rss();
    peak = rssBase;
  });
}

const uploadOptions = { path: '/upload', maxPayload: 2048 * MiB, streamMessagesAbove: MiB };
const chatOptions = { path: '/chat', maxPayload: MiB };
let port;
if (mode === 'node') {
  const { createServer } = await import('node:http');
  const http = createServer((_request, response) => response.writeHead(404).end());
  new adapter.WebSocketServer({ ...uploadOptions, server: http }).on('connection', onUpload);
  new adapter.WebSocketServer({ ...chatOptions, server: http }).on('connection', (ws) => ws.on('error', () => {}));
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = http.address().port;
} else {
  const chat = new adapter.WebSocketServer(chatOptions);
  chat.on('connection', (ws) => ws.on('error', () => {}));
  const upload = new adapter.WebSocketServer({ ...uploadOptions, host: '127.0.0.1', port: 0, routes: [chat] });
  upload.on('connection', onUpload);
  port = (await upload.listen()).port;
}
// The baseline once listening; taken again after each answered upload.
globalThis.gc?.();
let rssBase = rss();
peak = rssBase;
setInterval(sample, 20).unref?.();
process.stdout.write(`READY ${port}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('data', () => {});
setTimeout(() => process.exit(2), 120_000).unref?.();
