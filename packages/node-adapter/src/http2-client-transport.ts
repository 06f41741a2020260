import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { HeadParser, type RequestHead, type TransportSink } from '@framewire/codec/adapter';
import { http2RequestFromHead, responseBytesFromHttp2 } from './http2-head.js';
import { Http2StreamTransport } from './http2-stream-transport.js';

/** Most bytes of a refusal's body kept for the `HandshakeStatusError` (as over HTTP/1.1). */
const MAX_ERROR_BODY = 4096;

/**
 * The client side of an RFC 8441 stream. The codec's client driver writes
 * its HTTP/1.1 upgrade request first: this transport opens the extended
 * CONNECT stream from it and hands the driver an HTTP/1.1 response built
 * from the server's HTTP/2 one (`:status 200` → 101 with the accept value
 * the driver expects), so the driver checks subprotocol and extensions as
 * it does over TCP. After that it carries WebSocket bytes like
 * {@link Http2StreamTransport}.
 */
export class ClientHttp2Transport {
  readonly kind = 'http2';
  readonly #session: ClientHttp2Session;
  readonly #scheme: 'https' | 'http';
  readonly #onDone: () => void;
  #head: HeadParser<RequestHead> | undefined = new HeadParser<RequestHead>('request');
  #sink: TransportSink | undefined;
  #inner: Http2StreamTransport | undefined;
  /** The server answered 200: bytes now flow through {@link #inner}. */
  #upgraded = false;
  #stream: ClientHttp2Stream | undefined;
  #paused = false;
  #done = false;

  /** `onDone` runs once, when the stream closed or the attempt ended without one (pool bookkeeping). */
  constructor(session: ClientHttp2Session, scheme: 'https' | 'http', onDone: () => void) {
    this.#session = session;
    this.#scheme = scheme;
    this.#onDone = onDone;
  }

  /** The extended CONNECT stream, once the request was sent. */
  get stream(): ClientHttp2Stream | undefined {
    return this.#stream;
  }

  get bufferedAmount(): number {
    return this.#upgraded ? this.#inner!.bufferedAmount : 0;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    if (this.#upgraded) return this.#inner!.write(chunks);
    const parser = this.#head;
    if (parser === undefined) return true; // the attempt already failed
    for (const chunk of chunks) {
      const parsed = parser.push(chunk);
      if (parsed.type === 'need-more') continue;
      this.#head = undefined;
      if (parsed.type === 'error') this.#fail(new Error(`cannot translate the upgrade request: ${parsed.reason}`));
      else this.#request(parsed.head);
      return true;
    }
    return true;
  }

  #request(head: RequestHead): void {
    const { headers, key } = http2RequestFromHead(head, this.#scheme);
    let stream: ClientHttp2Stream;
    try {
      stream = this.#session.request(headers, { endStream: false });
    } catch (error) {
      this.#fail(error); // the session closed meanwhile, or a header HTTP/2 refuses
      return;
    }
    this.#stream = stream;
    const inner = new Http2StreamTransport(stream);
    this.#inner = inner;
    if (this.#paused) stream.pause();
    stream.once('close', () => this.#finish());
    const onEarlyEnd = (error?: unknown): void => this.#sink?.receiveEof(error ?? new Error('the stream ended before a response'));
    stream.once('error', onEarlyEnd);
    stream.once('close', onEarlyEnd);
    stream.once('response', (response: IncomingHttpHeaders) => {
      stream.off('error', onEarlyEnd);
      stream.off('close', onEarlyEnd);
      if (Number(response[':status']) === 200) {
        // Upgraded before the driver sees the 101: anything the new session writes at once goes to the stream.
        this.#upgraded = true;
        this.#sink?.receive(responseBytesFromHttp2(response, key));
        if (this.#sink !== undefined) inner.attach(this.#sink);
        return;
      }
      // A refusal: keep the start of its body, then let the driver report the status.
      const body: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (size < MAX_ERROR_BODY) body.push(chunk.subarray(0, MAX_ERROR_BODY - size));
        size += chunk.length;
      });
      let delivered = false;
      const deliver = (): void => {
        if (delivered) return;
        delivered = true;
        const bytes = Buffer.concat(body);
        body.length = 0;
        this.#sink?.receive(responseBytesFromHttp2(response, key, bytes));
        this.#sink?.receiveEof();
      };
      stream.once('end', deliver);
      stream.once('close', deliver);
    });
  }

  #fail(error: unknown): void {
    this.#sink?.receiveEof(error);
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onDone();
  }

  end(): void {
    if (this.#upgraded) this.#inner!.end();
    else this.destroy();
  }

  destroy(): void {
    if (this.#inner !== undefined) this.#inner.destroy();
    else this.#finish();
  }

  pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#stream?.resume();
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    if (this.#upgraded) this.#inner!.attach(sink);
  }
}
