/**
 * One received message delivered as a `ReadableStream<Uint8Array>` while its
 * frames arrive (the connection's `message-start` / `message-data` /
 * `message-end` events, enabled by `streamMessagesAbove`). The stream's
 * queue is the session's receive window for that message: once it holds
 * {@link MESSAGE_STREAM_HIGH_WATER} bytes the reader is behind and reading
 * from the transport pauses until it pulls again.
 *
 * The `ReadableStream` constructor comes from the adapter (the codec reads
 * no runtime global).
 *
 * @module
 */
import type { MessageBody, MessageBodyController, ReadableStreamConstructorLike } from './session-types.js';

/** Bytes a message stream's queue holds before reading from the transport pauses: 1 MiB. */
export const MESSAGE_STREAM_HIGH_WATER = 1024 * 1024;

/** What a {@link MessageStream} tells its session. */
export interface MessageStreamHost {
  /** Reading should pause (`true`: the reader is behind) or may resume. */
  flow(paused: boolean): void;
  /** The reader cancelled the stream before its end: the session closes the connection. */
  cancelled(reason: unknown): void;
}

/** See the module comment. */
export class MessageStream {
  readonly body: MessageBody;
  readonly isBinary: boolean;
  #controller!: MessageBodyController;
  #state: 'open' | 'ended' | 'cancelled' | 'errored' = 'open';
  #paused = false;
  readonly #host: MessageStreamHost;

  constructor(Stream: ReadableStreamConstructorLike, isBinary: boolean, host: MessageStreamHost) {
    this.isBinary = isBinary;
    this.#host = host;
    this.body = new Stream(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#setPaused(false),
        cancel: (reason: unknown) => {
          if (this.#state !== 'open') return;
          this.#state = 'cancelled';
          this.#setPaused(false);
          this.#host.cancelled(reason);
        },
      },
      { highWaterMark: MESSAGE_STREAM_HIGH_WATER, size: (chunk) => chunk.byteLength },
    );
  }

  /** Still taking pieces (not ended, cancelled or errored)? */
  get open(): boolean {
    return this.#state === 'open';
  }

  /** A piece of the message; dropped once the stream is no longer open. */
  push(data: Uint8Array): void {
    if (this.#state !== 'open') return;
    this.#controller.enqueue(data);
    if ((this.#controller.desiredSize ?? 0) <= 0) this.#setPaused(true);
  }

  /** The message ended: the reader sees `done` after the queued pieces. */
  end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    this.#setPaused(false);
    this.#controller.close();
  }

  /** The connection failed or closed mid-message: the reader's next read rejects with `error`. */
  error(error: Error): void {
    if (this.#state !== 'open') return;
    this.#state = 'errored';
    this.#setPaused(false);
    this.#controller.error(error);
  }

  #setPaused(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    this.#host.flow(paused);
  }
}
