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
 * @internal The listener that keeps a socket's errors from being unhandled
 * before its transport attaches: shared by every socket, and removed once the
 * transport's own error listener is on (one listener, no list, per socket).
 */
export function ignoreSocketError(): void {}

/** Chunks up to this size, written after the first write of a tick, are joined with their neighbours. */
const SMALL_CHUNK = 1024;
/** Largest joined buffer. */
const RUN_BYTES = 64 * 1024;

// The Buffer view of the chunk written last: a publish writes one frame to
// many sockets in a row, and Node would otherwise wrap it anew for each.
let lastChunk: Uint8Array | undefined;
let lastBuffer: Buffer | undefined;

function writeOne(socket: Socket, chunk: Uint8Array): boolean {
  if (chunk.length === 0) return true;
  if (chunk instanceof Buffer) return socket.write(chunk);
  if (chunk !== lastChunk) {
    lastChunk = chunk;
    lastBuffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  return socket.write(lastBuffer!);
}

function joined(run: readonly Uint8Array[], bytes: number): Uint8Array {
  if (run.length === 1) return run[0]!;
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (const part of run) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * A codec {@link Transport} over a Node `net.Socket` or `tls.TLSSocket`.
 *
 * Writes: the first `write` of a tick with a single chunk goes to the socket
 * at once (one system call for a lone message, as a topic publish to many
 * sockets is). Anything more in the same tick corks the socket: small chunks
 * (≤ 1 KiB each) are held and joined into one buffer (a stream write each
 * costs far more than copying a few hundred bytes: many short messages, or
 * sends made one per microtask as a WebSocketStream pipe does), larger ones
 * are written as they are (a `Uint8Array` becomes a `Buffer` view, not a
 * copy). One `process.nextTick` shared by every transport then writes the
 * held chunks and uncorks, so the rest of a burst reaches the kernel in one
 * `writev`. Held bytes count in `bufferedAmount`.
 *
 * Memory: an idle connection holds this object and a symbol-keyed property
 * on its socket; the socket's listeners are shared module functions.
 */
export class SocketTransport implements Transport {
  /** This tick: nothing written yet, written once (uncorked), or corked for the rest of the tick. */
  #tick: 'idle' | 'written' | 'corked' = 'idle';
  #sink: TransportSink | undefined;
  /** Small chunks held this tick, joined and handed to the socket when the tick ends (made on first use). */
  #pending: Uint8Array[] | undefined;
  #pendingBytes = 0;

  /** Transports written this tick; one nextTick for all of them, not one per socket. */
  static #touched: SocketTransport[] = [];

  static #endTick(): void {
    const touched = SocketTransport.#touched;
    SocketTransport.#touched = [];
    for (const transport of touched) {
      transport.#writePending();
      if (transport.#tick === 'corked') transport.socket.uncork();
      transport.#tick = 'idle';
    }
  }

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

  /** Bytes queued in Node's stream (or held for this tick) and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength + this.#pendingBytes;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return true; // bytes go nowhere, as after end()
    const tick = this.#tick;
    if (tick === 'idle') {
      const touched = SocketTransport.#touched;
      if (touched.length === 0) process.nextTick(SocketTransport.#endTick);
      touched.push(this);
      if (chunks.length === 1) {
        this.#tick = 'written';
        return writeOne(socket, chunks[0]!) && socket.writableLength < socket.writableHighWaterMark;
      }
    }
    if (this.#tick !== 'corked') {
      // Header and payload, several frames, or a second write this tick: one writev at the end of the tick.
      this.#tick = 'corked';
      socket.cork();
    }
    for (const chunk of chunks) {
      const length = chunk.length;
      if (length === 0) continue;
      if (length <= SMALL_CHUNK) {
        if (this.#pendingBytes + length > RUN_BYTES) this.#writePending();
        (this.#pending ??= []).push(chunk);
        this.#pendingBytes += length;
      } else {
        this.#writePending();
        writeOne(socket, chunk);
      }
    }
    return socket.writableLength + this.#pendingBytes < socket.writableHighWaterMark;
  }

  /** Hand the small chunks held this tick to the socket, joined into one buffer. */
  #writePending(): void {
    if (this.#pendingBytes === 0) return;
    const run = this.#pending!;
    const bytes = this.#pendingBytes;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    const socket = this.socket;
    if (!socket.destroyed && socket.writable) socket.write(joined(run, bytes));
  }

  end(): void {
    if (this.socket.destroyed) return;
    this.#writePending();
    this.socket.end();
  }

  destroy(): void {
    this.#pending = undefined;
    this.#pendingBytes = 0;
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
      socket.removeListener('error', ignoreSocketError);
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
