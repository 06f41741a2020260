/**
 * The options of a {@link Connection}, their defaults and their checks.
 *
 * @module
 */
import { UsageError } from './errors.js';
import type { MessageExtension } from './extension.js';
import type { CodecHooks } from './hooks.js';
import type { RandomSource } from './random.js';
import type { Utf8ValidatorFactory } from './utf8.js';

/** Which end of the connection we are (RFC 6455 §5.1: clients mask, servers do not). */
export type Role = 'client' | 'server';

/** The states of a {@link Connection} (RFC 6455 §4.1 / §7: OPEN, CLOSING, CLOSED). */
export type ConnectionState = 'open' | 'closing' | 'closed';

/** Options of a {@link Connection}. Every limit is on by default. */
export interface ConnectionOptions {
  role: Role;
  /** The clock, in ms. The codec never reads a clock itself: tests pass a manual one. */
  now: () => number;
  /** Largest message in bytes, across fragments and after decompression (1009 beyond). Default 16 MiB. */
  maxMessageSize?: number;
  /** Largest frame payload in bytes (1009 beyond). Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /** Reply to every ping with a pong echoing its payload (RFC 6455 §5.5.2). Default `true`. */
  autoPong?: boolean;
  /**
   * Pings the peer may send while our output is blocked (see
   * {@link Connection.setOutputBlocked}) before the connection fails with
   * 1008: a peer that floods pings and never reads our pongs. Default 1024.
   */
  maxPingsWhileBlocked?: number;
  /** Ms to wait for the peer's close frame (and for the end of the transport) once we sent ours. Default 5000. */
  closeTimeout?: number;
  /**
   * Ping after `interval` ms without incoming bytes; when nothing arrives
   * within `timeout` ms of the ping the peer is dead: `closed` 1006, and
   * {@link Connection.closeTransport} becomes true. Off by default.
   */
  heartbeat?: { interval: number; timeout: number } | undefined;
  /** Close with 1001 after this many ms without any traffic in either direction. Off by default. */
  idleTimeout?: number | undefined;
  /** Source of mask keys (client role). Default: pooled `crypto.getRandomValues`. */
  random?: RandomSource;
  /** Incremental UTF-8 validator factory, e.g. `utf8ValidatorFromWholeBuffer(isUtf8)` on Node. */
  utf8?: Utf8ValidatorFactory;
  /** Runtime speed-ups for this connection (native mask, allocator); see {@link CodecHooks}. */
  hooks?: CodecHooks | undefined;
  /** The negotiated per-message extension (permessage-deflate); enables RSV1. */
  extension?: MessageExtension | undefined;
  /**
   * Raw text mode: text events carry the message's validated UTF-8 `bytes`,
   * and `data` decodes them only when read. UTF-8 is still checked as the
   * bytes arrive (1007 at the first invalid one). For servers that forward
   * text (`sendText(event.bytes)`): no decode and no encode. Default `false`.
   */
  rawText?: boolean | undefined;
  /**
   * Deliver an uncompressed message longer than this many bytes in pieces
   * (`message-start`, `message-data`..., `message-end` events) as its frames
   * arrive, instead of joining it: memory stays bounded by what the reader
   * holds, so `maxMessageSize` may be large. A message switches to pieces
   * once its bytes so far (plus the announced length of the current frame)
   * pass the threshold. Limits (1009) and UTF-8 (1007, fail-fast) still hold.
   * A compressed message is inflated whole, so on such a connection it is
   * limited to this many bytes, compressed and inflated (1009 beyond).
   * Default: off.
   */
  streamMessagesAbove?: number | undefined;
}

/** Default `maxMessageSize`: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** Default `maxPingsWhileBlocked`. */
export const DEFAULT_MAX_PINGS_WHILE_BLOCKED = 1024;
/** Default `closeTimeout`: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT = 5000;

function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `${name} must be a number ≥ 0`);
  }
}

/** Throws a {@link UsageError} for options no connection can run with. */
export function validateConnectionOptions(options: ConnectionOptions): void {
  if (options.role !== 'client' && options.role !== 'server') {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', "role must be 'client' or 'server'");
  }
  if (typeof options.now !== 'function') throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'now must be a function');
  checkNonNegative('maxMessageSize', options.maxMessageSize);
  checkNonNegative('maxFrameSize', options.maxFrameSize);
  checkNonNegative('closeTimeout', options.closeTimeout);
  checkNonNegative('maxPingsWhileBlocked', options.maxPingsWhileBlocked);
  checkNonNegative('idleTimeout', options.idleTimeout);
  checkNonNegative('streamMessagesAbove', options.streamMessagesAbove);
  if (options.heartbeat !== undefined) {
    checkNonNegative('heartbeat.interval', options.heartbeat.interval);
    checkNonNegative('heartbeat.timeout', options.heartbeat.timeout);
  }
}
