/**
 * `serve --metrics`: `GET /metrics` on the server's own port answers the
 * WebSocket server's counters in the Prometheus text format; other plain
 * requests are answered as before.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE, formatPrometheus, type ServerMetrics } from '@framewire/codec/adapter';

/** The path the endpoint answers on. */
export const METRICS_PATH = '/metrics';

/** Is this plain request one for the metrics (GET or HEAD of `/metrics`, any query)? */
export function isMetricsRequest(method: string | undefined, target: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = (target ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split(/[?#]/)[0];
  return path === METRICS_PATH;
}

/** Node: a request handler that answers `/metrics` and hands every other request to `next`. */
export function nodeMetricsHandler(
  metrics: () => ServerMetrics,
  next: (request: IncomingMessage, response: ServerResponse) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    if (!isMetricsRequest(request.method, request.url)) return next(request, response);
    const body = formatPrometheus(metrics());
    response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
}

/** A standalone server's `fetch` handler without `--metrics`: 426 for every plain request. */
export function refuseFetch(): Response {
  return new Response('426 Upgrade Required\n', { status: 426, headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' } });
}

/** A standalone server's `fetch` handler: `/metrics`, and 426 for the rest. */
export function fetchMetricsHandler(metrics: () => ServerMetrics): (request: Request) => Response {
  return (request) => {
    if (!isMetricsRequest(request.method, request.url)) return refuseFetch();
    const body = formatPrometheus(metrics());
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' },
    });
  };
}
