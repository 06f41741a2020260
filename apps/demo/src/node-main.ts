/**
 * The demo on Node: one `node:http` server serves the page, and
 * `@framewire/node-adapter` attached to it takes the WebSocket upgrades on
 * the same port. Run by `pnpm start` (`--runtime node`, the default).
 *
 * @module
 */
import { createServer } from 'node:http';
import process from 'node:process';
import { WebSocketServer } from '@framewire/node-adapter';
import { DEMO_SERVER_OPTIONS, type Demo } from './demo.js';
import { pageUrl, runDemo, type RunningDemo } from './entry.js';

async function start(demo: Demo, host: string, port: number): Promise<RunningDemo> {
  const http = createServer((request, response) => {
    const answer = demo.http(request.method ?? 'GET', request.url ?? '/');
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
  const server = new WebSocketServer({ server: http, ...DEMO_SERVER_OPTIONS });
  server.on('connection', (session, request) => demo.connection(session, request));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: pageUrl(host, bound),
    webSocketUrl: pageUrl(host, bound).replace(/^http/, 'ws'),
    connections: () => server.connectionCount,
    close: async (timeout) => {
      // Stop accepting first; `close` calls back once every socket is gone.
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close({ timeout });
      http.closeAllConnections(); // idle keep-alive page requests
      await stopped;
    },
  };
}

await runDemo('node', process.versions.node, start);
