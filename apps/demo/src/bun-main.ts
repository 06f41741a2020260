/**
 * The demo on Bun. `@framewire/bun-adapter` serves WebSocket upgrades only
 * (its server is `Bun.listen`, raw TCP, with no hook for plain HTTP), so the
 * page comes from `Bun.serve` on PORT and the WebSockets from the framewire
 * server on the next port (PORT + 1; a free one when PORT is 0). The page
 * learns that port from `GET /info`. Run by `pnpm start --runtime bun`.
 *
 * @module
 */
import process from 'node:process';
import { WebSocketServer } from '@framewire/bun-adapter';
import { DEMO_SERVER_OPTIONS, type Demo } from './demo.js';
import { requestTarget, toResponse } from './fetch-bridge.js';
import { pageUrl, runDemo, type RunningDemo } from './entry.js';

async function start(demo: Demo, host: string, port: number): Promise<RunningDemo> {
  const server = new WebSocketServer({ host, port: port === 0 ? 0 : port + 1, ...DEMO_SERVER_OPTIONS });
  server.on('connection', (session, request) => demo.connection(session, request));
  const address = await server.listen();
  demo.webSocketPort = address.port;
  let http: ReturnType<typeof Bun.serve>;
  try {
    http = Bun.serve({
      hostname: host,
      port,
      fetch: (request) => toResponse(demo.http(request.method, requestTarget(request))),
    });
  } catch (error) {
    await server.close({ timeout: 0 });
    throw error;
  }
  return {
    url: pageUrl(host, http.port ?? port),
    webSocketUrl: pageUrl(host, address.port).replace(/^http/, 'ws'),
    connections: () => server.connectionCount,
    close: async (timeout) => {
      await http.stop(true);
      await server.close({ timeout });
    },
  };
}

await runDemo('bun', process.versions['bun'] ?? 'unknown', start);
