/**
 * The demo on Bun: `@framewire/bun-adapter`'s server (`Bun.listen`, the
 * codec reads every byte, permessage-deflate included) takes the WebSocket
 * upgrades, and its `fetch` handler serves the page on the same port. Run by
 * `pnpm start --runtime bun`.
 *
 * @module
 */
import process from 'node:process';
import { WebSocketServer } from '@framewire/bun-adapter';
import { DEMO_SERVER_OPTIONS, type Demo } from './demo.js';
import { requestTarget, toResponse } from './fetch-bridge.js';
import { pageUrl, runDemo, type RunningDemo } from './entry.js';

async function start(demo: Demo, host: string, port: number): Promise<RunningDemo> {
  const server = new WebSocketServer({
    host,
    port,
    ...DEMO_SERVER_OPTIONS,
    fetch: (request) => toResponse(demo.http(request.method, requestTarget(request))),
  });
  server.on('connection', (session, request) => demo.connection(session, request));
  const address = await server.listen();
  return {
    url: pageUrl(host, address.port),
    webSocketUrl: pageUrl(host, address.port).replace(/^http/, 'ws'),
    connections: () => server.connectionCount,
    close: (timeout) => server.close({ timeout }),
  };
}

await runDemo('bun', process.versions['bun'] ?? 'unknown', start);
