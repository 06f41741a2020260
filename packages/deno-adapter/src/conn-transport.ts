import { type Session, type Transport, type TransportSink } from '@framewire/codec/adapter';
import { afterRead, initialReadSizing, type ReadSizing } from './read-size.js';

/** The transport of every session this adapter made, for {@link released}. */
const transports = new WeakMap<Session, ConnTransport>();

/**
 * Resolves once the TCP/TLS connection under `session` (from `connect()` or
 * a `WebSocketServer`) is closed. The `close` event comes when the close
 * handshake ends; the socket is released a moment later, after the peer's
 * FIN. Await it before a `Deno.test` ends so its resource sanitizer sees
 * nothing left open. Resolves at once for other sessions.
 */
export function released(session: Session): Promise<void> {
  return transports.get(session)?.released ?? Promise.resolve();
}

/** @internal Remember which transport carries `session`. */
export function trackTransport(session: Session, transport: ConnTransport): void {
  transports.set(session, transport);
}

/** Tuning of a {@link ConnTransport}; the defaults suit both idle and busy connections. */
export interface ConnTransportOptions {
  /**
   * Read buffer of an idle connection, in bytes. A pending `conn.read` holds
   * its buffer for as long as the peer is silent, so this is most of the
   * adapter's memory per idle connection. Default 512.
   */
  minReadSize?: number;
  /** Largest read buffer, used while reads keep filling their buffer. Default 262144. */
  maxReadSize?: number;
  /** `write` reports backpressure (returns `false`) once this many bytes are queued. Default 65536. */
  writeHighWaterMark?: number;
}

/** Small chunks (a frame header and its payload, many small frames) are joined up to this size into one `conn.write`. */
const COALESCE_BYTES = 256 * 1024;

/** A join buffer for `total` bytes: the next power of two from 1 KiB, at most {@link COALESCE_BYTES}. */
function joinSize(total: number): number {
  let size = 1024;
  while (size < total) size *= 2;
  return Math.min(size, COALESCE_BYTES);
}

/**
 * A codec {@link Transport} over a `Deno.Conn` (TCP or TLS), read with
 * `conn.read(buffer)` and written with `conn.write`.
 *
 * Reading: one read in flight while not paused. The buffer starts at
 * `minReadSize` and grows ×4 up to `maxReadSize` while reads fill it; a read
 * that comes back less than a quarter full brings it back to `minReadSize`,
 * so an idle connection holds only the small buffer; a small read that
 * fills returns at once to the size traffic had reached (`read-size.ts`).
 * (Reading through `conn.readable` would pin 64 KiB per idle connection.)
 * The codec takes
 * ownership of every chunk and may unmask it in place, so a buffer is never
 * reused while the codec may hold it: a read that filled at least half its
 * buffer hands the buffer over (a view, no copy) and the next read gets a new
 * one; a smaller read is copied out and the buffer is reused.
 *
 * Writing: `conn.write` is asynchronous and may write part of a buffer. Chunks
 * are queued in order with one write in flight (small ones joined, a partial
 * write continued), so nothing is lost or reordered; `write` returns `false`
 * while more than `writeHighWaterMark` bytes are queued and the sink's
 * `drain()` is called once the queue is empty again.
 *
 * `end()` writes the queue out, then half-closes (`conn.closeWrite()`, a FIN)
 * and keeps reading until the peer ends too; the conn is closed once both
 * directions are done, or at once by `destroy()`.
 */
export class ConnTransport implements Transport {
  readonly conn: Deno.Conn;
  readonly #minRead: number;
  readonly #maxRead: number;
  readonly #highWaterMark: number;
  #sink: TransportSink | undefined;
  // read side
  #reading = false;
  readonly #sizing: ReadSizing;
  #paused = false;
  #resumeRead: (() => void) | undefined;
  #peerEnded = false;
  // write side
  /** Made on the first write and dropped once written out: an idle connection holds no list. */
  #queue: Uint8Array[] | undefined;
  #queued = 0;
  /**
   * The buffer small chunks were last joined into, reused for the next join
   * while the queue stays busy (one write in flight, so it is free again by
   * then) and dropped with the queue: on Deno every fresh buffer costs its
   * page faults, a join per write into a new 256 KiB buffer was 19 % of a
   * 64 KiB echo's JS time.
   */
  #joinBuffer: Uint8Array | undefined;
  #writing = false;
  #owesDrain = false;
  #endRequested = false;
  #writeShut = false;
  #closed = false;
  #eofSent = false;
  // Release is reported through a promise made only when asked for, and a
  // single hook: an idle connection holds no promise and no closure here.
  #isReleased = false;
  #released: Promise<void> | undefined;
  #resolveReleased: (() => void) | undefined;
  #releaseHook: ((transport: ConnTransport) => void) | undefined;

  constructor(conn: Deno.Conn, options: ConnTransportOptions = {}) {
    this.conn = conn;
    this.#minRead = options.minReadSize ?? 512;
    this.#maxRead = Math.max(this.#minRead, options.maxReadSize ?? 256 * 1024);
    this.#sizing = initialReadSizing(this.#minRead);
    this.#highWaterMark = options.writeHighWaterMark ?? 64 * 1024;
    // Small frames (pongs, close frames, chat messages) must not wait for Nagle.
    if ('setNoDelay' in conn && typeof conn.setNoDelay === 'function') {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // not a TCP socket underneath; nothing to tune
      }
    }
  }

  /** Resolves once the conn is closed (both directions done, failed or destroyed). */
  get released(): Promise<void> {
    if (this.#released === undefined) {
      this.#released = this.#isReleased
        ? Promise.resolve()
        : new Promise((resolve) => {
            this.#resolveReleased = resolve;
          });
    }
    return this.#released;
  }

  /**
   * @internal Call `hook(this)` once the conn is released (at once when it
   * already is); one hook per transport, replacing an earlier one. The
   * server's bookkeeping uses this instead of a promise per connection.
   */
  onReleased(hook: (transport: ConnTransport) => void): void {
    if (this.#isReleased) hook(this);
    else this.#releaseHook = hook;
  }

  /** Bytes accepted by `write` and not yet taken by the operating system. */
  get bufferedAmount(): number {
    return this.#queued;
  }

  /** Size of the buffer the next read uses (grows with traffic, back to `minReadSize` when idle). */
  get readBufferSize(): number {
    return this.#sizing.size;
  }

  /** Has the conn been closed (both directions done, or destroyed)? */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Route received bytes and the end of the stream to `sink` (replacing the
   * previous one) and start reading when not already.
   */
  attach(sink: TransportSink): void {
    this.#sink = sink;
    if (!this.#reading && !this.#closed && !this.#peerEnded) void this.#readLoop();
  }

  write(chunks: readonly Uint8Array[]): boolean {
    // After end() or close the bytes go nowhere, as on a Node socket.
    if (this.#closed || this.#endRequested) return true;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      (this.#queue ??= []).push(chunk);
      this.#queued += chunk.length;
    }
    if (!this.#writing && this.#queued > 0) void this.#pump();
    if (this.#queued > this.#highWaterMark) {
      this.#owesDrain = true;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.#closed || this.#endRequested) return;
    this.#endRequested = true;
    if (!this.#writing) void this.#shutdown();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#markClosed();
    try {
      this.conn.close();
    } catch {
      // already closed by Deno
    }
    this.#eof(undefined);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const wake = this.#resumeRead;
    this.#resumeRead = undefined;
    wake?.();
  }

  // ---- reading ------------------------------------------------------------

  async #readLoop(): Promise<void> {
    this.#reading = true;
    let buffer: Uint8Array | undefined;
    try {
      for (;;) {
        if (this.#closed) return;
        if (this.#paused) {
          // No read in flight while paused: the kernel's window fills and the peer slows down.
          await new Promise<void>((resolve) => (this.#resumeRead = resolve));
          continue;
        }
        const size = this.#sizing.size;
        buffer ??= new Uint8Array(size);
        let n: number | null;
        try {
          n = await this.conn.read(buffer);
        } catch (error) {
          this.#readFailed(error);
          return;
        }
        if (this.#closed) return;
        if (n === null) {
          this.#peerEnded = true;
          this.#eof(undefined);
          // Both directions done: release the conn.
          if (this.#writeShut) this.#closeConn();
          return;
        }
        if (n === 0) continue;
        let chunk: Uint8Array;
        if (n * 2 >= buffer.length) {
          chunk = buffer.subarray(0, n); // the codec owns it now
          buffer = undefined;
        } else {
          chunk = buffer.slice(0, n); // copy out; the buffer is reused
        }
        afterRead(this.#sizing, n, this.#minRead, this.#maxRead);
        const next = this.#sizing.size;
        if (next !== size) buffer = undefined;
        this.#sink?.receive(chunk);
      }
    } finally {
      this.#reading = false;
      this.#checkReleased();
    }
  }

  /** Released once closed with no read or write still in flight (Deno's op sanitizer sees none left). */
  #checkReleased(): void {
    if (this.#isReleased || !this.#closed || this.#reading || this.#writing) return;
    this.#isReleased = true;
    this.#resolveReleased?.();
    const hook = this.#releaseHook;
    this.#releaseHook = undefined;
    hook?.(this);
  }

  #readFailed(error: unknown): void {
    if (this.#closed) return; // our own close() interrupted the read
    this.#markClosed();
    try {
      this.conn.close();
    } catch {
      // already closed
    }
    this.#eof(error);
  }

  #eof(error: unknown): void {
    if (this.#eofSent && error === undefined) return;
    this.#eofSent = true;
    this.#sink?.receiveEof(error);
  }

  // ---- writing ------------------------------------------------------------

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue !== undefined && this.#queue.length > 0 && !this.#closed) {
        const chunk = this.#take();
        let at = 0;
        try {
          while (at < chunk.length) at += await this.conn.write(at === 0 ? chunk : chunk.subarray(at));
        } catch (error) {
          this.#readFailed(error);
          return;
        }
        this.#queued -= chunk.length;
        if (this.#owesDrain && this.#queued <= this.#highWaterMark / 2) {
          this.#owesDrain = false;
          this.#sink?.drain();
        }
      }
    } finally {
      if (this.#queue?.length === 0) {
        this.#queue = undefined;
        this.#joinBuffer = undefined;
      }
      this.#writing = false;
      this.#checkReleased();
    }
    if (this.#endRequested) await this.#shutdown();
  }

  /** The next chunk to write: the queue's head, joined with following small chunks. */
  #take(): Uint8Array {
    const queue = this.#queue!;
    let total = queue[0]!.length;
    let count = 1;
    while (count < queue.length && total + queue[count]!.length <= COALESCE_BYTES) total += queue[count++]!.length;
    if (count === 1) return queue.shift()!;
    // Joined into the reusable buffer: the previous write from it has completed.
    // Sized to the run (next power of two): a burst of small frames must not
    // pay for a 256 KiB buffer each time the queue refills.
    const join = this.#joinBuffer !== undefined && this.#joinBuffer.length >= total ? this.#joinBuffer : new Uint8Array(joinSize(total));
    this.#joinBuffer = join;
    let at = 0;
    for (let i = 0; i < count; i++) {
      join.set(queue[i]!, at);
      at += queue[i]!.length;
    }
    queue.splice(0, count);
    return join.subarray(0, total);
  }

  /** Half-close once the queue is written; close outright when the peer has ended too. */
  async #shutdown(): Promise<void> {
    if (this.#writeShut || this.#closed || (this.#queue?.length ?? 0) > 0) return;
    this.#writeShut = true;
    if (this.#peerEnded) {
      this.#closeConn();
      return;
    }
    try {
      await this.conn.closeWrite();
    } catch {
      // the peer is gone already; the read side reports it
      this.#closeConn();
    }
  }

  #closeConn(): void {
    if (this.#closed) return;
    this.#markClosed();
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  #markClosed(): void {
    this.#closed = true;
    this.#queue = undefined;
    this.#joinBuffer = undefined;
    this.#queued = 0;
    const wake = this.#resumeRead;
    this.#resumeRead = undefined;
    wake?.();
    this.#checkReleased();
  }
}
