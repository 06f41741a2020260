import { constants, type Http2Stream, type ServerHttp2Stream } from 'node:http2';
import { HeadParser, type ResponseHead, type Transport, type TransportSink } from '@framewire/codec/adapter';
import { http2ResponseHeaders } from './http2-head.js';

/**
 * A codec {@link Transport} over one HTTP/2 stream (RFC 8441 §5: the
 * stream's DATA frames carry the WebSocket bytes).
 *
 * Flow control maps to backpressure both ways: `write()` returns `false`
 * while Node's stream buffer is above its high-water mark (the peer's
 * window is full) and `drain` follows; `pause()` pauses the stream, so Node
 * stops sending WINDOW_UPDATE for it and the peer stops after one window
 * (65 535 bytes by default) while the other streams of the connection go
 * on.
 *
 * Ending: `end()` sends END_STREAM (the orderly close of RFC 8441 §5),
 * `destroy()` sends RST_STREAM(CANCEL). The peer's END_STREAM, its
 * RST_STREAM, a GOAWAY or the loss of the connection reach the sink as an
 * EOF: after a complete close handshake that is a clean close, otherwise the
 * session reports 1006. Stream errors always have a listener and stay in
 * this stream.
 */
export class Http2StreamTransport implements Transport {
  /** What carries the bytes, for `Session.transportKind`. */
  readonly kind = 'http2';
  #sink: TransportSink | undefined;
  #corked = false;

  static #uncork(transport: Http2StreamTransport): void {
    transport.#corked = false;
    transport.stream.uncork();
  }

  constructor(readonly stream: Http2Stream) {
    stream.on('error', () => {}); // reaches the sink as an EOF once attached; never unhandled
  }

  /** Bytes queued in Node's stream and not yet sent (the peer's window may be full). */
  get bufferedAmount(): number {
    return this.stream.writableLength;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    const stream = this.stream;
    if (stream.destroyed || !stream.writable) return true; // bytes go nowhere, as after end()
    // One DATA frame per tick rather than one per frame header and payload.
    if (!this.#corked) {
      this.#corked = true;
      stream.cork();
      process.nextTick(Http2StreamTransport.#uncork, this);
    }
    for (const chunk of chunks) if (chunk.length > 0) stream.write(chunk);
    return stream.writableLength < stream.writableHighWaterMark;
  }

  end(): void {
    if (!this.stream.destroyed && this.stream.writable) this.stream.end();
  }

  destroy(): void {
    const stream = this.stream;
    if (stream.destroyed) return;
    if (stream.closed) stream.destroy();
    else stream.close(constants.NGHTTP2_CANCEL);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** Route the stream's events to `sink` (replacing the previous sink). */
  attach(sink: TransportSink): void {
    const first = this.#sink === undefined;
    this.#sink = sink;
    if (!first) return;
    const stream = this.stream;
    stream.on('data', (chunk: Buffer) => this.#sink?.receive(chunk));
    stream.on('end', () => this.#sink?.receiveEof());
    stream.on('error', (error: Error) => this.#sink?.receiveEof(error));
    // RST_STREAM, GOAWAY or a lost connection: 'close' without 'end'.
    stream.on('close', () => this.#sink?.receiveEof(stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR ? new Error(`RST_STREAM ${stream.rstCode}`) : undefined));
    stream.on('drain', () => this.#sink?.drain());
    if (stream.destroyed) this.#sink.receiveEof();
  }
}

/**
 * The server side of an RFC 8441 stream: the codec's upgrade driver writes
 * an HTTP/1.1 response head first; this transport turns it into the HTTP/2
 * response (`101` → `:status 200`, a refusal keeps its status and body) and
 * carries WebSocket bytes after that.
 */
export class ServerHttp2StreamTransport extends Http2StreamTransport {
  #head: HeadParser<ResponseHead> | undefined = new HeadParser<ResponseHead>('response');

  constructor(override readonly stream: ServerHttp2Stream) {
    super(stream);
  }

  override write(chunks: readonly Uint8Array[]): boolean {
    const parser = this.#head;
    if (parser === undefined) return super.write(chunks);
    for (let i = 0; i < chunks.length; i++) {
      const parsed = parser.push(chunks[i]!);
      if (parsed.type === 'need-more') continue;
      this.#head = undefined;
      if (parsed.type === 'error') {
        // The codec wrote a head it cannot read back: a defect; drop the stream.
        this.destroy();
        return true;
      }
      this.#respond(parsed.head);
      return super.write([parsed.rest, ...chunks.slice(i + 1)]);
    }
    return true;
  }

  #respond(head: ResponseHead): void {
    const stream = this.stream;
    if (stream.destroyed || stream.headersSent) return;
    try {
      stream.respond(http2ResponseHeaders(head));
    } catch {
      this.destroy(); // a field Node refuses in HTTP/2: the stream ends, the others go on
    }
  }
}
