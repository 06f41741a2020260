import type { Socket } from 'node:net';
import type { Transport, TransportSink } from '@framewire/codec';

/**
 * A codec {@link Transport} over a Node `net.Socket` or `tls.TLSSocket`.
 *
 * Writes made in one tick are batched: the first write corks the socket and
 * a `process.nextTick` uncorks it, so Node hands every frame header and
 * payload of that tick to the kernel in one `writev`. Payloads are written as
 * they are (a `Uint8Array` becomes a `Buffer` view, not a copy).
 */
export class SocketTransport implements Transport {
  #corked = false;
  #sink: TransportSink | undefined;
  #detach: (() => void) | undefined;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.socket.uncork();
  };

  constructor(readonly socket: Socket) {
    // Small frames (pongs, close frames, chat messages) must not wait for
    // Nagle's algorithm; batching is done by cork/uncork instead.
    socket.setNoDelay(true);
    socket.setTimeout(0);
  }

  /** Bytes queued in Node's stream and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return true; // bytes go nowhere, as after end()
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    let ok = true;
    for (const chunk of chunks) {
      if (chunk.length > 0) ok = socket.write(chunk);
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
    this.#detach?.();
    this.#sink = sink;
    const socket = this.socket;
    const onData = (chunk: Buffer): void => sink.receive(chunk);
    const onEnd = (): void => sink.receiveEof();
    const onError = (error: Error): void => sink.receiveEof(error);
    const onClose = (): void => sink.receiveEof();
    const onDrain = (): void => sink.drain();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
    this.#detach = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('drain', onDrain);
    };
    if (head !== undefined && head.length > 0) sink.receive(head);
    // A socket handed over by an http server may be paused; start reading.
    if (socket.isPaused()) socket.resume();
  }

  /** The sink currently attached, if any. */
  get sink(): TransportSink | undefined {
    return this.#sink;
  }
}
