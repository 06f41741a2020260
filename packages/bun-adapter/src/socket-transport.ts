import type { Socket, SocketHandler } from 'bun';
import { concatBytes, type Transport, type TransportSink } from '@framewire/codec/adapter';

/** What every framewire Bun socket carries in `socket.data`: its transport, once opened. */
export type SocketData = BunSocketTransport | undefined;

/**
 * Runs of small chunks (a frame header and its payload, several small
 * frames) are copied into one buffer up to this size, so each becomes one
 * `write(2)` instead of one per chunk; larger chunks are written as they are.
 */
const COALESCE_BYTES = 16 * 1024;

/**
 * A codec {@link Transport} over a Bun TCP or TLS socket (`Bun.listen`,
 * `Bun.connect`).
 *
 * Bun's `socket.write` is unbuffered: it returns how many bytes the kernel
 * took, possibly fewer than given, and keeps nothing. This transport keeps the
 * rest, in order, writes it on Bun's `drain` callback, and reports
 * backpressure to the session: `write` returns `false` while anything is
 * queued. Nothing is dropped or reordered.
 *
 * `end()` writes the queue out first, then half-closes with
 * `socket.shutdown()` (a FIN) and keeps reading, so the peer's last bytes and
 * its FIN still arrive; the socket is closed once both sides have ended.
 * (Bun's `socket.end()` closes both directions at once, which could reset a
 * connection whose peer still has bytes in flight.)
 *
 * Received chunks are handed to the sink without a copy: Bun gives every
 * `data` callback a fresh buffer of its own (checked by
 * `test/buffer-ownership.test.ts`), so the codec may unmask in place.
 */
export class BunSocketTransport implements Transport {
  readonly #socket: Socket<SocketData>;
  #sink: TransportSink | undefined;
  /** Received before a sink was attached (at most the first read or two). */
  #early: Uint8Array[] | undefined;
  #earlyEof: { error: unknown } | undefined;
  /** Bytes `socket.write` did not take yet, in order, from `#head`. */
  // Lists are made on first use and dropped once empty: an idle connection holds none.
  #queue: Uint8Array[] | undefined;
  #head = 0;
  #queued = 0;
  /** `write` returned `false`; call `sink.drain()` once the queue is empty. */
  #owesDrain = false;
  #endRequested = false;
  #writeShut = false;
  #peerEnded = false;
  #closed = false;

  constructor(socket: Socket<SocketData>) {
    this.#socket = socket;
    socket.data = this;
    // Small frames (pongs, close frames, chat messages) must not wait for Nagle.
    socket.setNoDelay(true);
  }

  /** The Bun socket (remote address, TLS details...). */
  get socket(): Socket<SocketData> {
    return this.#socket;
  }

  /** Bytes accepted by `write` and not yet taken by the kernel. */
  get bufferedAmount(): number {
    return this.#queued;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    // After end() or close the bytes go nowhere, as on a Node socket.
    if (this.#closed || this.#endRequested) return true;
    const wasEmpty = this.#queued === 0;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      (this.#queue ??= []).push(chunk);
      this.#queued += chunk.length;
    }
    if (wasEmpty) this.#pump();
    if (this.#queued > 0) {
      this.#owesDrain = true;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.#closed || this.#endRequested) return;
    this.#endRequested = true;
    if (this.#queued === 0) this.#shutdown();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#markClosed();
    this.#socket.terminate();
  }

  pause(): void {
    if (!this.#closed) this.#socket.pause();
  }

  resume(): void {
    if (!this.#closed) this.#socket.resume();
  }

  /**
   * Route the socket's events to `sink` (replacing the previous sink). Bytes
   * or an end that arrived before are delivered first.
   */
  attach(sink: TransportSink): void {
    this.#sink = sink;
    const early = this.#early;
    this.#early = undefined;
    if (early !== undefined) for (const chunk of early) sink.receive(chunk);
    const eof = this.#earlyEof;
    this.#earlyEof = undefined;
    if (eof !== undefined) sink.receiveEof(eof.error);
  }

  // ---- Bun socket callbacks (see socketHandlers) ------------------------

  /** @internal */
  onData(chunk: Uint8Array): void {
    if (this.#sink !== undefined) this.#sink.receive(chunk);
    else (this.#early ??= []).push(chunk);
  }

  /** @internal The kernel has room again: write what is queued. */
  onDrain(): void {
    if (this.#closed || this.#queued === 0) return;
    this.#pump();
    if (this.#queued > 0) return;
    if (this.#endRequested) this.#shutdown();
    if (this.#owesDrain) {
      this.#owesDrain = false;
      this.#sink?.drain();
    }
  }

  /** @internal The peer sent its FIN. */
  onEnd(): void {
    this.#peerEnded = true;
    this.#eof(undefined);
    // Both directions are done: release the socket now.
    if (this.#writeShut && !this.#closed) {
      this.#markClosed();
      this.#socket.end();
    }
  }

  /** @internal */
  onClose(error: unknown): void {
    this.#markClosed();
    this.#eof(error);
  }

  /** @internal A failed TLS session, or a callback that threw. */
  onError(error: unknown): void {
    this.#eof(error ?? new Error('socket error'));
  }

  // ---- internals ----------------------------------------------------------

  #eof(error: unknown): void {
    if (this.#sink !== undefined) this.#sink.receiveEof(error);
    else this.#earlyEof ??= { error };
  }

  /** Half-close (our FIN) once the queue is out; close outright when the peer has ended too. */
  #shutdown(): void {
    if (this.#writeShut || this.#closed) return;
    this.#writeShut = true;
    if (this.#peerEnded) {
      this.#markClosed();
      this.#socket.end();
    } else this.#socket.shutdown();
  }

  #markClosed(): void {
    this.#closed = true;
    this.#queue = undefined;
    this.#head = 0;
    this.#queued = 0;
  }

  /** Write queued chunks until the kernel takes less than offered. */
  #pump(): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    const socket = this.#socket;
    while (this.#head < queue.length) {
      let chunk = queue[this.#head]!;
      let count = 1;
      if (chunk.length < COALESCE_BYTES && this.#head + 1 < queue.length) {
        let total = chunk.length;
        let end = this.#head + 1;
        while (end < queue.length && total + queue[end]!.length <= COALESCE_BYTES) total += queue[end++]!.length;
        count = end - this.#head;
        if (count > 1) chunk = concatBytes(queue, this.#head, end);
      }
      const written = socket.write(chunk);
      if (written < 0) {
        // Closed under us; the close callback reports it.
        this.#markClosed();
        return;
      }
      if (written < chunk.length) {
        // Keep the unwritten tail, in place of the run it came from.
        this.#head += count - 1;
        queue[this.#head] = chunk.subarray(written);
        this.#queued -= written;
        return;
      }
      this.#head += count;
      this.#queued -= chunk.length;
    }
    this.#queue = undefined;
    this.#head = 0;
  }
}

/**
 * The Bun socket callbacks that feed a socket's {@link BunSocketTransport}
 * (found in `socket.data`). Shared by every socket of a listener; servers and
 * clients add their own `open`.
 */
export const socketHandlers = {
  // Plain Uint8Arrays: the codec needs no Buffer methods (the types only know 'buffer').
  binaryType: 'uint8array',
  data: (socket, chunk: Uint8Array) => socket.data?.onData(chunk),
  drain: (socket) => socket.data?.onDrain(),
  end: (socket) => socket.data?.onEnd(),
  close: (socket, error) => socket.data?.onClose(error),
  error: (socket, error) => socket.data?.onError(error),
} satisfies SocketHandler<SocketData>;
