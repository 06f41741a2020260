// The framewire chat demo: one Node http server that serves the chat page,
// a broadcast WebSocket server at /chat and an echo endpoint at /echo.
// Used by `pnpm start` (scripts/start.mjs) and by the Chromium interop test.
//
// `adapter` is the @framewire/node-adapter module (the built dist for
// `pnpm start`, the sources in tests).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';

const page = new URL('./index.html', import.meta.url);

/**
 * Start the demo on `host:port` (port 0 picks a free one).
 * @returns `{ url, httpServer, chat, echo, close() }`
 */
export async function startChatDemo(adapter, { host = '127.0.0.1', port = 8080, log = () => {} } = {}) {
  const html = await readFile(page);
  const httpServer = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method === 'GET' && (path === '/' || path === '/index.html')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(html);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });

  // Broadcast: every chat message goes to every open connection.
  const chat = new adapter.WebSocketServer({ server: httpServer, path: '/chat', maxPayload: 64 * 1024 });
  const presence = () => broadcast(JSON.stringify({ type: 'presence', count: chat.connectionCount }));
  const broadcast = (text) => {
    for (const client of chat.clients) {
      // A client that stopped reading is closed by the session's 1008 limit.
      if (client.readyState === 1) client.send(text);
    }
  };
  chat.on('connection', (ws) => {
    log(`chat: connection (${chat.connectionCount} open)`);
    presence();
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      const name = String(message.name ?? 'guest').slice(0, 32);
      const text = String(message.text ?? '').slice(0, 2000);
      if (text !== '') broadcast(JSON.stringify({ type: 'chat', name, text }));
    });
    ws.on('close', () => presence());
  });

  // Echo: every message back with its type.
  const echo = new adapter.WebSocketServer({ server: httpServer, path: '/echo', perMessageDeflate: true });
  echo.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data, { binary: isBinary });
    });
  });

  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address();
  const url = `http://${host}:${address.port}/`;

  let closing;
  const close = (timeout = 2000) => {
    closing ??= (async () => {
      // Stop accepting first; `close` resolves once every socket is gone.
      const stopped = new Promise((resolve) => httpServer.close(() => resolve()));
      // 1001 to every WebSocket, wait for their close handshakes, then destroy the rest.
      await Promise.all([chat.close({ timeout }), echo.close({ timeout })]);
      httpServer.closeAllConnections(); // idle keep-alive page requests
      await stopped;
    })();
    return closing;
  };
  return { url, port: address.port, httpServer, chat, echo, close };
}
