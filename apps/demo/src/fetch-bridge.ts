/**
 * The demo's HTTP answers in fetch terms (`Request` in, `Response` out), for
 * the raw Deno and Bun servers, whose `fetch` handler serves the page.
 *
 * @module
 */
import type { DemoResponse } from './demo.js';

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
