/**
 * A {@link Transport} over any Web Streams byte pair, so the codec and a
 * Session run over pipes, child-process stdio, Unix sockets or whatever a
 * runtime exposes as `{ readable, writable }`.
 *
 * @module
 */
import type { Transport, TransportSink } from '../session/transport.js';

/** A byte stream pair, as `Duplex.toWeb(socket)`, `Deno.Conn` or a `TransformStream` pair give. */
export interface ByteStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** A {@link Transport} that also takes its upward side: `attach(sink)` starts reading. */
export interface StreamTransport extends Transport {
  /** Start reading into `sink` (an upgrade driver, or a Session). Call once. */
  attach(sink: TransportSink): void;
}

/** Options of {@link streamTransport}. */
export interface StreamTransportOptions {
  /** `write` returns `false` once this many bytes wait for the writable. Default 64 KiB. */
  highWaterMark?: number;
}

/**
 * A Transport over `{ readable, writable }`. Writes go to the writable in
 * order; `write` returns `false` while more than `highWaterMark` bytes are
 * unwritten and the sink's `drain()` follows. `pause()` stops pulling from
 * the readable, which is the stream's own backpressure towards its source.
 *
 * @example A client over a byte pair (20 lines in the codec README)
 * ```ts
 * const transport = streamTransport(pair);
 * const upgrade = connectWebSocket(transport, { url: 'ws://localhost/', scheduler });
 * transport.attach(upgrade);
 * const session = await upgrade.session;
 * ```
 */
export function streamTransport(pair: ByteStreamPair, options: StreamTransportOptions = {}): StreamTransport {
  const highWaterMark = options.highWaterMark ?? 64 * 1024;
  const writer = pair.writable.getWriter();
  const reader = pair.readable.getReader();
  let sink: TransportSink | undefined;
  let unwritten = 0;
  let needDrain = false;
  let state: 'open' | 'ending' | 'ended' | 'destroyed' = 'open';
  let resumeReading: (() => void) | undefined;
  let paused = false;

  const fail = (error: unknown): void => {
    if (state === 'destroyed') return;
    destroy();
    sink?.receiveEof(error);
  };

  const destroy = (): void => {
    if (state === 'destroyed') return;
    state = 'destroyed';
    const reason = new Error('the transport was destroyed');
    writer.abort(reason).catch(() => {});
    reader.cancel(reason).catch(() => {});
    resumeReading?.();
  };

  const readLoop = async (): Promise<void> => {
    try {
      for (;;) {
        while (paused && state !== 'destroyed') await new Promise<void>((resolve) => (resumeReading = resolve));
        resumeReading = undefined;
        if (state === 'destroyed') return;
        const { done, value } = await reader.read();
        if (done) break;
        if (value.byteLength > 0) sink?.receive(value);
      }
      sink?.receiveEof();
    } catch (error) {
      if (state !== 'destroyed') fail(error);
    }
  };

  return {
    attach(target) {
      if (sink !== undefined) throw new TypeError('streamTransport: attach() was already called');
      sink = target;
      void readLoop();
    },
    write(chunks) {
      if (state !== 'open') return true;
      for (const chunk of chunks) {
        unwritten += chunk.byteLength;
        writer.write(chunk).then(
          () => {
            unwritten -= chunk.byteLength;
            if (needDrain && unwritten < highWaterMark) {
              needDrain = false;
              sink?.drain();
            }
          },
          (error: unknown) => fail(error),
        );
      }
      if (unwritten < highWaterMark) return true;
      needDrain = true;
      return false;
    },
    end() {
      if (state !== 'open') return;
      state = 'ending';
      writer.close().then(
        () => {
          if (state === 'ending') state = 'ended';
        },
        () => {},
      );
    },
    destroy,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      resumeReading?.();
    },
    get bufferedAmount() {
      return unwritten;
    },
  };
}
