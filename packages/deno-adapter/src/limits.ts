import { isUtf8 } from 'node:buffer';
import { utf8ValidatorFromWholeBuffer, type SessionOptions, type UpgradeConnectionOptions } from '@framewire/codec';
import type { ConnTransportOptions } from './conn-transport.js';

/** Options shared by `WebSocketServer` and `connect()`: limits and timers, with safe defaults. */
export interface ConnectionLimits {
  /** Largest message in bytes, after decompression (1009 beyond). Default 16 MiB. */
  maxPayload?: number;
  /** Largest frame payload (1009 beyond). Default `maxPayload`. */
  maxFrameSize?: number;
  /** `send()` returns `false` once this many bytes are buffered. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Outgoing bytes a peer that does not read may hold up; past it the
   * connection is closed with 1008 (policy violation). Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /** Unconsumed received messages at which reading pauses (receive backpressure). Default 64. */
  receiveHighWaterMessages?: number;
  /** Unconsumed received bytes at which reading pauses. Default 16 MiB. */
  receiveHighWaterBytes?: number;
  /** Ms to wait for the peer's close frame after ours. Default 5000. */
  closeTimeout?: number;
  /** Ping after `interval` ms of silence; 1006 when no answer within `timeout`. Off by default. */
  heartbeat?: { interval: number; timeout: number };
  /** Close with 1001 after this many ms without traffic. Off by default. */
  idleTimeout?: number;
  /** Binary messages as `Uint8Array` (default) or `ArrayBuffer`. */
  binaryType?: 'uint8array' | 'arraybuffer';
  /** Largest request/response head in bytes (431 beyond). Codec default. */
  maxHeaderBytes?: number;
  /** Where listener exceptions go. Default: an unhandled rejection, like `ws`. */
  onListenerError?: (error: unknown, event: string) => void;
  /** Read buffer sizes and the write queue's high-water mark of each connection (Deno only). */
  io?: ConnTransportOptions;
}

const MiB = 1024 * 1024;

/**
 * The UTF-8 validator hook every connection gets: Deno's native
 * `buffer.isUtf8` (about 1.7× the portable validator on a 1 MiB text message,
 * measured on Deno 2.9.6).
 */
export const denoUtf8 = utf8ValidatorFromWholeBuffer(isUtf8);

/** Connection-level settings from the shared limit options. @internal */
export function connectionSettings(options: ConnectionLimits): UpgradeConnectionOptions {
  const settings: UpgradeConnectionOptions = { utf8: denoUtf8, maxMessageSize: options.maxPayload ?? 16 * MiB };
  if (options.maxFrameSize !== undefined) settings.maxFrameSize = options.maxFrameSize;
  if (options.closeTimeout !== undefined) settings.closeTimeout = options.closeTimeout;
  if (options.heartbeat !== undefined) settings.heartbeat = options.heartbeat;
  if (options.idleTimeout !== undefined) settings.idleTimeout = options.idleTimeout;
  return settings;
}

/** Session-level settings from the shared limit options. @internal */
export function sessionSettings(options: ConnectionLimits): Omit<SessionOptions, 'protocol' | 'extensions' | 'head'> {
  return {
    ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    ...(options.maxBufferedAmount !== undefined ? { maxBufferedAmount: options.maxBufferedAmount } : {}),
    ...(options.binaryType !== undefined ? { binaryType: options.binaryType } : {}),
    ...(options.receiveHighWaterMessages !== undefined ? { receiveHighWaterMessages: options.receiveHighWaterMessages } : {}),
    ...(options.receiveHighWaterBytes !== undefined ? { receiveHighWaterBytes: options.receiveHighWaterBytes } : {}),
    ...(options.onListenerError !== undefined ? { onListenerError: options.onListenerError } : {}),
  };
}

/** Response headers as a record, names lower-cased, repeats joined. @internal */
export function headerRecord(pairs: Iterable<readonly [string, string]> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs ?? []) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return headers;
}
