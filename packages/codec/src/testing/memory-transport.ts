import type { Scheduler } from '../session/scheduler.js';
import type { Transport, TransportSink } from '../session/transport.js';

/** Options of {@link createMemoryTransportPair}, applied to both directions. */
export interface MemoryTransportOptions {
  /**
   * Deliver through this scheduler (after {@link MemoryTransportOptions.delay})
   * instead of on a microtask. Use a `ManualClock` to control delivery time.
   */
  scheduler?: Scheduler;
  /** Milliseconds between a write and its delivery (needs `scheduler`); a function is asked once per write. Order is kept. */
  delay?: number | (() => number);
  /** Split delivered bytes into pieces of at most this many bytes. */
  maxChunkSize?: number;
  /** Re-chunk the bytes of one write any way you like (fuzzing); runs after `maxChunkSize`. Empty pieces are skipped. */
  rechunk?: (bytes: Uint8Array) => readonly Uint8Array[];
  /**
   * Bytes that may wait in one direction before `write` returns `false`
   * (a slow reader). `drain()` follows once the direction is empty. Default 64 KiB.
   */
  capacity?: number;
}

/** Counters a test can assert on. */
export interface MemoryTransportStats {
  /** Calls to `write`. */
  writes: number;
  /** Bytes passed to `write`. */
  bytesWritten: number;
  /** Calls to `pause` that paused a running transport. */
  pauses: number;
  /** Calls to `resume` that resumed a paused transport. */
  resumes: number;
  /** Times `write` returned `false`. */
  writesRefused: number;
  /** Largest number of bytes waiting in the outgoing direction. */
  maxQueuedBytes: number;
}

interface Piece {
  readonly bytes: Uint8Array;
  readonly readyAt: number;
}

/** One direction of the pipe: bytes written by `from`, delivered to `to`. */
class Pipe {
  readonly queue: Piece[] = [];
  queuedBytes = 0;
  lastReadyAt = 0;
  ended = false;
  eofDelivered = false;
  pumpScheduled = false;
}

/**
 * One end of an in-memory byte pipe: a {@link Transport} for tests and for
 * users who fuzz their own applications. Bytes are copied on write, as a
 * socket would, delivered asynchronously (a microtask, or a scheduler timer),
 * optionally re-chunked and delayed; a paused end stops receiving and its
 * peer's `write` starts returning `false` once `capacity` bytes wait.
 *
 * Call {@link MemoryTransport.attach} with the sink (a session or an upgrade
 * driver) that receives this end's bytes; bytes wait until a sink is attached.
 */
export class MemoryTransport implements Transport {
  /** Counters for assertions. */
  readonly stats: MemoryTransportStats = {
    writes: 0, bytesWritten: 0, pauses: 0, resumes: 0, writesRefused: 0, maxQueuedBytes: 0,
  };
  #sink: TransportSink | undefined;
  #peer!: MemoryTransport;
  #paused = false;
  #destroyed = false;
  #ended = false;
  #writerBlocked = false;
  /** Bytes this end writes. */
  readonly #outgoing: Pipe;
  /** Bytes this end receives (the peer's outgoing pipe). */
  #incoming!: Pipe;

  /** @internal use {@link createMemoryTransportPair} */
  constructor(private readonly options: MemoryTransportOptions) {
    this.#outgoing = new Pipe();
  }

  /** @internal */
  static link(a: MemoryTransport, b: MemoryTransport): void {
    a.#peer = b;
    b.#peer = a;
    a.#incoming = b.#outgoing;
    b.#incoming = a.#outgoing;
  }

  /** The end at the other side of the pipe. */
  get peer(): MemoryTransport {
    return this.#peer;
  }

  /** Route received bytes to `sink` (replaces the previous sink). */
  attach(sink: TransportSink): void {
    this.#sink = sink;
    this.#schedulePump(0);
  }

  /** Is receiving paused? */
  get paused(): boolean {
    return this.#paused;
  }
  /** Did this end call `end()`? */
  get ended(): boolean {
    return this.#ended;
  }
  /** Did this end call `destroy()`? */
  get destroyed(): boolean {
    return this.#destroyed;
  }
  /** Bytes written by this end and not yet delivered. */
  get bufferedAmount(): number {
    return this.#outgoing.queuedBytes;
  }

  write(chunks: readonly Uint8Array[]): boolean {
    this.stats.writes++;
    if (this.#destroyed || this.#ended) return true; // like a socket after end: bytes go nowhere
    let total = 0;
    for (const c of chunks) total += c.length;
    this.stats.bytesWritten += total;
    if (total > 0) {
      // Copy, as a kernel would: the writer may reuse its buffers.
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      this.#enqueue(bytes);
    }
    const capacity = this.options.capacity ?? 64 * 1024;
    const ok = this.#outgoing.queuedBytes < capacity;
    if (!ok) {
      this.#writerBlocked = true;
      this.stats.writesRefused++;
    }
    return ok;
  }

  end(): void {
    if (this.#ended || this.#destroyed) return;
    this.#ended = true;
    this.#outgoing.ended = true;
    this.#peer.#schedulePump(this.#outgoing.lastReadyAt);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#ended = true;
    // Abrupt: nothing still queued in either direction is delivered.
    for (const pipe of [this.#outgoing, this.#incoming]) {
      pipe.queue.length = 0;
      pipe.queuedBytes = 0;
      pipe.ended = true;
    }
    this.#peer.#schedulePump(0);
    // A destroyed socket reports its own close too (Node's 'close' event).
    this.#schedulePump(0);
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.stats.pauses++;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.stats.resumes++;
    this.#schedulePump(0);
  }

  #enqueue(bytes: Uint8Array): void {
    const pipe = this.#outgoing;
    const { scheduler, delay } = this.options;
    let readyAt = 0;
    if (scheduler !== undefined) {
      const d = typeof delay === 'function' ? delay() : (delay ?? 0);
      readyAt = Math.max(pipe.lastReadyAt, scheduler.now() + Math.max(0, d));
      pipe.lastReadyAt = readyAt;
    }
    for (const piece of this.#split(bytes)) {
      if (piece.length === 0) continue;
      pipe.queue.push({ bytes: piece, readyAt });
      pipe.queuedBytes += piece.length;
    }
    if (pipe.queuedBytes > this.stats.maxQueuedBytes) this.stats.maxQueuedBytes = pipe.queuedBytes;
    this.#peer.#schedulePump(readyAt);
  }

  #split(bytes: Uint8Array): readonly Uint8Array[] {
    let pieces: Uint8Array[] = [bytes];
    const max = this.options.maxChunkSize;
    if (max !== undefined && max > 0 && bytes.length > max) {
      pieces = [];
      for (let at = 0; at < bytes.length; at += max) pieces.push(bytes.subarray(at, at + max));
    }
    const rechunk = this.options.rechunk;
    if (rechunk === undefined) return pieces;
    return pieces.flatMap((p) => rechunk(p));
  }

  /** Deliver what is ready in the incoming direction, at `readyAt` or on a microtask. */
  #schedulePump(readyAt: number): void {
    const scheduler = this.options.scheduler;
    if (scheduler !== undefined && readyAt > scheduler.now()) {
      scheduler.setTimer(() => this.#pump(), readyAt - scheduler.now());
      return;
    }
    const pipe = this.#incoming;
    if (pipe.pumpScheduled) return;
    pipe.pumpScheduled = true;
    void Promise.resolve().then(() => {
      pipe.pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    const pipe = this.#incoming;
    const sink = this.#sink;
    if (sink === undefined) return;
    const now = this.options.scheduler?.now() ?? 0;
    while (!this.#paused && !this.#destroyed) {
      const piece = pipe.queue[0];
      if (piece === undefined || piece.readyAt > now) break;
      pipe.queue.shift();
      pipe.queuedBytes -= piece.bytes.length;
      sink.receive(piece.bytes);
    }
    const writer = this.#peer;
    if (pipe.queue.length === 0 && writer.#writerBlocked && !writer.#destroyed) {
      writer.#writerBlocked = false;
      writer.#sink?.drain();
    }
    // Like a socket: a paused end sees the EOF only once resumed (unless destroyed).
    if (pipe.queue.length === 0 && (this.#destroyed || (pipe.ended && !this.#paused)) && !pipe.eofDelivered) {
      pipe.eofDelivered = true;
      sink.receiveEof();
    }
  }
}

/**
 * Two connected {@link MemoryTransport} ends: what one writes, the other
 * receives.
 *
 * @example
 * ```ts
 * const [clientEnd, serverEnd] = createMemoryTransportPair({ maxChunkSize: 7 });
 * ```
 */
export function createMemoryTransportPair(options: MemoryTransportOptions = {}): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport(options);
  const b = new MemoryTransport(options);
  MemoryTransport.link(a, b);
  return [a, b];
}
