/**
 * The demo's HTTP answers in fetch terms (`Request` in, `Response` out), for
 * the raw Deno and Bun servers, whose `fetch` handler serves the page.
 *
 * @module
 */
import type { Broker, Session, UpgradeRequest } from '@framewire/codec/adapter';
import { DEMO_SERVER_OPTIONS, type DemoResponse } from './demo.js';
import { pageUrl, type StartDemo } from './entry.js';

/** A fetch `Response` from the demo's answer. */
export function toResponse(answer: DemoResponse): Response {
  // A fresh copy: BodyInit wants an ArrayBuffer-backed view.
  const body = typeof answer.body === 'string' ? answer.body : answer.body.slice();
  return new Response(body, { status: answer.status, headers: answer.headers });
}

/** The request target ('/path?query') of a fetch `Request`. */
export function requestTarget(request: Request): string {
  const url = new URL(request.url);
  return url.pathname + url.search;
}

/** The part of the raw Bun and Deno servers the demo uses: WebSocket upgrades and `fetch` on one port. */
interface FetchServer {
  on(event: 'connection', listener: (session: Session, request: UpgradeRequest) => void): unknown;
  listen(): Promise<{ port: number }>;
  readonly connectionCount: number;
  close(options: { timeout: number }): Promise<void>;
  publish(topic: string, data: string): number;
}

/** The options the demo hands such a server. */
type FetchServerOptions = typeof DEMO_SERVER_OPTIONS & {
  host: string;
  port: number;
  fetch: (request: Request) => Response;
  broker: Broker;
  reusePort: boolean;
};

/**
 * How the Bun and Deno entries start: the adapter's raw server takes the
 * WebSocket upgrades, and its `fetch` handler serves the page on the same port.
 */
export function startFetchServer(Server: new (options: FetchServerOptions) => FetchServer): StartDemo {
  return async (demo, host, port, { broker, reusePort }) => {
    const server = new Server({
      host,
      port,
      ...DEMO_SERVER_OPTIONS,
      fetch: (request) => toResponse(demo.http(request.method, requestTarget(request))),
      broker,
      reusePort,
    });
    demo.attach(server);
    server.on('connection', (session, request) => demo.connection(session, request));
    const address = await server.listen();
    return {
      url: pageUrl(host, address.port),
      webSocketUrl: pageUrl(host, address.port).replace(/^http/, 'ws'),
      connections: () => server.connectionCount,
      close: (timeout) => server.close({ timeout }),
    };
  };
}
