import type { Socket } from 'node:net';
import type { Transport, TransportSink } from '@framewire/codec/adapter';

/** Where a socket's shared listeners find their transport (one property, no closures per socket). */
const TRANSPORT = Symbol('framewire.transport');

type TaggedSocket = Socket & { [TRANSPORT]?: SocketTransport };

// One set of listener functions for every socket: Node calls them with the
// socket as `this`, so an idle connection holds no closures of its own.
function onData(this: TaggedSocket, chunk: Buffer): void {
  this[TRANSPORT]?.sink?.receive(chunk);
}
function onEnd(this: TaggedSocket): void {
  this[TRANSPORT]?.sink?.receiveEof();
}
function onError(this: TaggedSocket, error: Error): void {
  this[TRANSPORT]?.sink?.receiveEof(error);
}
function onDrain(this: TaggedSocket): void {
  this[TRANSPORT]?.sink?.drain();
}

/**
 * A codec {@link Transport} over a Node `net.Socket` or `tls.TLSSocket`.
 *
 * The session hands over all output of one processing pass in one `write`:
 * a lone chunk (one small frame: the round-trip case) goes to the kernel at
 * once, with no deferred work; several chunks (frame headers and payloads)
 * are corked and uncorked around the call, so Node sends them in one
 * `writev`. Payloads are written as they are (a `Uint8Array` becomes a
 * `Buffer` view, not a copy).
 *
 * Memory: an idle connection holds this object and a symbol-keyed property
 * on its socket; the socket's listeners are shared module functions.
 */
export class SocketTransport implements Transport {
  #sink: TransportSink | undefined;

  constructor(readonly socket: Socket) {
    // Small frames (pongs, close frames, chat messages) must not wait for
    // Nagle's algorithm; batching is done by cork/uncork instead.
    socket.setNoDelay(true);
    socket.setTimeout(0);
  }

  /** `'tls'` for a TLS socket (wss://), else `'tcp'`. */
  get kind(): 'tcp' | 'tls' {
    return (this.socket as Socket & { encrypted?: boolean }).encrypted === true ? 'tls' : 'tcp';
  }

  /** Bytes queued in Node's stream and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return true; // bytes go nowhere, as after end()
    let ok = true;
    if (chunks.length === 1) {
      if (chunks[0]!.length > 0) ok = socket.write(chunks[0]!);
    } else {
      socket.cork();
      for (const chunk of chunks) {
        if (chunk.length > 0) ok = socket.write(chunk);
      }
      socket.uncork();
    }
    return ok && socket.writableLength < socket.writableHighWaterMark;
  }

  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /**
   * Route the socket's events to `sink` (replacing the previous sink).
   * `head` (bytes Node's HTTP parser read past the request) is delivered
   * first. Socket errors always have a listener, so they never become
   * unhandled exceptions; they end the session with 1006.
   */
  attach(sink: TransportSink, head?: Uint8Array): void {
    const first = this.#sink === undefined;
    this.#sink = sink;
    const socket = this.socket as TaggedSocket;
    if (first) {
      socket[TRANSPORT] = this;
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('error', onError);
      socket.on('close', onEnd); // a close without 'end' (reset, destroy) is an EOF too
      socket.on('drain', onDrain);
    }
    if (head !== undefined && head.length > 0) sink.receive(head);
    // A socket handed over by an http server may be paused; start reading.
    // Later attaches (the session taking over from the upgrade driver) keep
    // whatever flow control the new sink asked for.
    if (first && socket.isPaused()) socket.resume();
  }

  /** The sink currently attached, if any. */
  get sink(): TransportSink | undefined {
    return this.#sink;
  }
}
