/**
 * Plain HTTP beside WebSockets on a raw-socket server's port (the Deno and
 * Bun raw paths): the first request head of each connection is read once to
 * route it, upgrades go to the codec's upgrade driver with every byte, and
 * other requests to a fetch-style handler (`Request` in, `Response` out),
 * one request per connection. The web `Request`/`Response` classes are the
 * runtime's (declared in web-globals.d.ts).
 *
 * @module
 */
import { concatBytes } from '../protocol/bytes.js';
import { HeadParser, type HeadLimits, type RequestHead } from '../protocol/http-head.js';
import { rejectUpgrade } from '../protocol/handshake-server.js';
import { TimerSlot, type Scheduler } from '../session/scheduler.js';
import type { TransportSink } from '../session/transport.js';
import type { AttachableTransport } from './server-core.js';

/**
 * A fetch-style handler for the requests on a framewire server's port that
 * are not WebSocket upgrades: a `Request` in, a `Response` out, as with
 * `Deno.serve` and `Bun.serve`. `info` is the adapter's (the client's address).
 * The connection closes after the response (no keep-alive).
 */
export type FetchHandler<Info> = (request: Request, info: Info) => Response | Promise<Response>;

/** How the first request on a connection was classified. */
export type FirstRequest =
  /** A WebSocket upgrade: its parsed head (the codec validates it, no second parse) and the bytes after it. */
  | { readonly type: 'upgrade'; readonly head: RequestHead; readonly rest: Uint8Array }
  /** An unparsable head, which the codec refuses with the right status: every byte read so far. */
  | { readonly type: 'garbage'; readonly bytes: Uint8Array }
  /** Any other request, head parsed; `rest` are the bytes after the head. */
  | { readonly type: 'http'; readonly head: RequestHead; readonly rest: Uint8Array[] }
  /** The client left or timed out before a whole head arrived. */
  | { readonly type: 'gone' };

/**
 * Reads the request head of a new connection (under the codec's head limits
 * and the handshake timeout) to route it: WebSocket upgrades go to the
 * codec's upgrade driver with every byte read, other requests to the fetch
 * handler. Only the `Upgrade` header is looked at here; the codec validates
 * the upgrade itself.
 */
export class RequestSniffer implements TransportSink {
  readonly #onResult: (result: FirstRequest) => void;
  readonly #parser: HeadParser<RequestHead>;
  readonly #timer: TimerSlot;
  readonly #chunks: Uint8Array[] = [];
  #done = false;

  /** `onResult` is called once, synchronously from `receive`/`receiveEof` or the timer, so no byte can slip past. */
  constructor(scheduler: Scheduler, limits: HeadLimits, timeoutMs: number, onResult: (result: FirstRequest) => void) {
    this.#parser = new HeadParser<RequestHead>('request', limits);
    this.#onResult = onResult;
    this.#timer = new TimerSlot(scheduler, () => this.#finish({ type: 'gone' }));
    this.#timer.set(scheduler.now() + timeoutMs);
  }

  receive(chunk: Uint8Array): void {
    if (this.#done) return;
    // The parser leaves the chunk untouched; the codec re-reads these bytes.
    this.#chunks.push(chunk);
    const parsed = this.#parser.push(chunk);
    if (parsed.type === 'need-more') return;
    if (parsed.type === 'error') {
      this.#finish({ type: 'garbage', bytes: concatBytes(this.#chunks) });
      return;
    }
    if (!isWebSocketUpgrade(parsed.head)) {
      this.#finish({ type: 'http', head: parsed.head, rest: parsed.rest.length > 0 ? [parsed.rest] : [] });
      return;
    }
    this.#finish({ type: 'upgrade', head: parsed.head, rest: parsed.rest });
  }

  receiveEof(): void {
    this.#finish({ type: 'gone' });
  }

  drain(): void {}

  #finish(result: FirstRequest): void {
    if (this.#done) return;
    this.#done = true;
    this.#timer.clear();
    this.#onResult(result);
  }
}

/** Does the head ask for a WebSocket upgrade (`Upgrade: websocket`, in any list and case)? */
function isWebSocketUpgrade(head: RequestHead): boolean {
  for (const value of head.headers.getAll('upgrade')) {
    for (const token of value.split(',')) if (token.trim().toLowerCase() === 'websocket') return true;
  }
  return false;
}

/** Options of {@link serveHttp}. */
export interface ServeHttpOptions<Info> {
  handler: FetchHandler<Info> | undefined;
  secure: boolean;
  /** What the handler gets beside the request. */
  info: Info;
  /** The `Host` for the request URL when the client sent none (the local address). */
  fallbackHost: string;
  /** Largest request body read for the handler (413 beyond). */
  maxBodyBytes: number;
  scheduler: Scheduler;
  /** Ms for the body to arrive. */
  timeoutMs: number;
}

/**
 * Answer one plain HTTP request on `transport`: without a handler, 426 with
 * `Upgrade: websocket` and `Sec-WebSocket-Version: 13` (RFC 6455 §4.2.2);
 * with one, read a `Content-Length` body, call it, write its `Response` with
 * a `Content-Length` and `Connection: close`, then end the connection.
 */
export async function serveHttp<Info>(transport: AttachableTransport, head: RequestHead, rest: Uint8Array[], options: ServeHttpOptions<Info>): Promise<number> {
  const respond = (bytes: Uint8Array, status: number): number => {
    transport.write([bytes]);
    transport.end();
    return status;
  };
  if (options.handler === undefined) {
    return respond(
      rejectUpgrade(426, { headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' }, body: 'This server speaks WebSocket only' }),
      426,
    );
  }
  if (head.headers.has('transfer-encoding')) return respond(rejectUpgrade(411, { reason: 'Length Required' }), 411);
  const lengthHeader = head.headers.get('content-length') ?? '0';
  if (!/^\d+$/.test(lengthHeader) || head.headers.count('content-length') > 1) return respond(rejectUpgrade(400), 400);
  const length = Number(lengthHeader);
  if (length > options.maxBodyBytes) return respond(rejectUpgrade(413, { reason: 'Content Too Large' }), 413);
  const body = length === 0 ? undefined : await readBody(transport, rest, length, options);
  if (body === null) {
    transport.destroy();
    return 0;
  }
  const host = head.headers.get('host') ?? options.fallbackHost;
  const url = /^https?:\/\//i.test(head.target) ? head.target : `${options.secure ? 'https' : 'http'}://${host}${head.target}`;
  let response: Response;
  try {
    const request = new Request(url, {
      method: head.method,
      headers: [...head.headers].map(([name, value]) => [name, value] as [string, string]),
      ...(body !== undefined && head.method !== 'GET' && head.method !== 'HEAD' ? { body: body as BodyInit } : {}),
    });
    response = await options.handler(request, options.info);
    if (!(response instanceof Response)) throw new TypeError('the fetch handler did not return a Response');
  } catch {
    return respond(rejectUpgrade(500), 500);
  }
  let payload: Uint8Array;
  try {
    payload = new Uint8Array(await response.arrayBuffer());
  } catch {
    return respond(rejectUpgrade(500), 500);
  }
  return respond(encodeResponse(response, head.method === 'HEAD' ? undefined : payload, payload.length), response.status);
}

/** Collect `length` body bytes: those after the head, then reads until enough (or `null` when the client left or was too slow). */
/**
 * A raw server's whole answer to one plain request (the sniffer's `http`
 * result): stop reading, answer it with {@link serveHttp}, report a 426 to
 * `refused`, then read and discard what the client still sends until it
 * closes, and no longer than `options.timeoutMs` (a client that never closes
 * holds nothing): `drop` ends the connection either way.
 */
export async function answerPlainRequest<Info>(
  transport: AttachableTransport,
  first: { readonly head: RequestHead; readonly rest: Uint8Array[] },
  options: ServeHttpOptions<Info>,
  refused: (status: number) => void,
  drop: () => void,
): Promise<void> {
  transport.pause();
  const status = await serveHttp(transport, first.head, first.rest, options);
  if (status === 426) refused(426);
  const linger = options.scheduler.setTimer(drop, options.timeoutMs);
  transport.attach({
    receive: () => {},
    receiveEof: () => {
      options.scheduler.clearTimer(linger);
      drop();
    },
    drain: () => {},
  });
  transport.resume();
}

function readBody<Info>(transport: AttachableTransport, rest: Uint8Array[], length: number, options: ServeHttpOptions<Info>): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const body = new Uint8Array(length);
    let at = 0;
    let settled = false;
    const timer = new TimerSlot(options.scheduler, () => finish(null));
    const finish = (value: Uint8Array | null): void => {
      if (settled) return;
      settled = true;
      timer.clear();
      transport.pause();
      resolve(value);
    };
    const take = (chunk: Uint8Array): void => {
      const n = Math.min(chunk.length, length - at);
      body.set(chunk.subarray(0, n), at);
      at += n;
      if (at === length) finish(body);
    };
    for (const chunk of rest) take(chunk);
    if (settled) return;
    timer.set(options.scheduler.now() + options.timeoutMs);
    transport.attach({ receive: (chunk) => !settled && take(chunk), receiveEof: () => finish(null), drain: () => {} });
    transport.resume();
  });
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 404: 'Not Found' };

/** HTTP/1.1 response bytes: status line, the Response's headers, `Content-Length`, `Connection: close`, body. */
function encodeResponse(response: Response, body: Uint8Array | undefined, length: number): Uint8Array {
  const reason = (response.statusText || STATUS_TEXT[response.status] || 'Status').replace(/[\r\n]/g, ' ');
  let head = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  for (const [name, value] of response.headers) {
    // We frame the body ourselves and close after it.
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection') continue;
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${length}\r\nconnection: close\r\n\r\n`;
  const headBytes = new TextEncoder().encode(head);
  if (body === undefined || body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

