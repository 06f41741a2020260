/**
 * The demo on Node: one `node:http` server serves the page, and
 * `@framewire/node-adapter` attached to it takes the WebSocket upgrades on
 * the same port. Run by `pnpm start` (`--runtime node`, the default).
 *
 * With `FW_DEMO_CLUSTER=N` (`pnpm start --cluster N`) this process is the
 * `node:cluster` primary: it forks N workers sharing the port (see
 * node-cluster.ts), and each worker runs the demo below.
 *
 * @module
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import process from 'node:process';
import { WebSocketServer } from '@framewire/node-adapter';
import { DEMO_SERVER_OPTIONS, type Demo } from './demo.js';
import { pageUrl, runDemo, type RunningDemo, type StartOptions } from './entry.js';
import { runPrimary } from './node-cluster.js';

async function start(demo: Demo, host: string, port: number, { broker }: StartOptions): Promise<RunningDemo> {
  const http = createServer((request, response) => {
    const answer = demo.http(request.method ?? 'GET', request.url ?? '/');
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
  const server = new WebSocketServer({ server: http, ...DEMO_SERVER_OPTIONS, broker });
  demo.attach(server);
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

const clusterSize = process.env['FW_DEMO_CLUSTER'];
if (cluster.isPrimary && clusterSize !== undefined && clusterSize !== '') await runPrimary(clusterSize);
else await runDemo('node', process.versions.node, start);
