/**
 * The byte pipe a {@link Session} writes to and reads from.
 *
 * Small on purpose: a Node `net.Socket`, a Bun socket, a `Deno.Conn`, a Web
 * Streams pair or an in-memory pipe each implement it in a few lines. The
 * transport never interprets the bytes; every protocol decision stays in the
 * codec.
 *
 * Downward (session → transport) the session calls the methods below.
 * Upward (transport → session) the adapter calls the {@link TransportSink}
 * methods: `receive(chunk)`, `receiveEof(error?)` and `drain()`.
 *
 * @example A transport over a Node socket (inside an adapter)
 * ```ts
 * const transport: Transport = {
 *   write: (chunks) => { socket.cork(); let ok = true; for (const c of chunks) ok = socket.write(c); socket.uncork(); return ok; },
 *   end: () => socket.end(),
 *   destroy: () => socket.destroy(),
 *   pause: () => socket.pause(),
 *   resume: () => socket.resume(),
 * };
 * socket.on('data', (c) => session.receive(c));
 * socket.on('end', () => session.receiveEof());
 * socket.on('error', (e) => session.receiveEof(e));
 * socket.on('close', () => session.receiveEof());
 * socket.on('drain', () => session.drain());
 * ```
 */
export interface Transport {
  /**
   * Queue `chunks` for writing, in order. The transport always accepts the
   * bytes (nothing is dropped); it returns `false` when its own buffer is above
   * its high-water mark, and then calls {@link TransportSink.drain} once it has
   * room again. The chunks belong to the transport from now on: the caller
   * never changes them afterwards.
   */
  write(chunks: readonly Uint8Array[]): boolean;
  /** Graceful end of the write side (a TCP FIN) once every pending write is out. */
  end(): void;
  /** Close both directions now; pending writes are discarded. Idempotent. */
  destroy(): void;
  /** Stop delivering received bytes (receive-side flow control). */
  pause(): void;
  /** Deliver received bytes again after {@link Transport.pause}. */
  resume(): void;
  /**
   * Optional: bytes accepted by `write` and not yet handed to the operating
   * system or the peer. When absent, the session counts the bytes written
   * since the last `write` that returned `false` until `drain()`.
   */
  readonly bufferedAmount?: number;
  /**
   * Optional: what carries the bytes (`'tcp'`, `'tls'`, `'http2'`...), shown
   * as `Session.transportKind`.
   */
  readonly kind?: string;
}

/**
 * What a transport calls upward: implemented by {@link Session} and by the
 * upgrade drivers. None of these methods ever throws.
 */
export interface TransportSink {
  /** Bytes arrived. The sink takes ownership of `chunk` (it may change it in place). */
  receive(chunk: Uint8Array): void;
  /** The peer ended its side, or the transport failed (`error` given) or was closed. Idempotent. */
  receiveEof(error?: unknown): void;
  /** The transport's write buffer has room again after `write` returned `false`. */
  drain(): void;
}
