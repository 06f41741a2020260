/**
 * Connection settings shared by the Redis broker and the Redis Streams log.
 *
 * @module
 */
import { createClient } from 'redis';

/** Options every Redis-backed class takes. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Prepended to every channel or key: servers sharing one Redis keep apart by it. Default `framewire:`. */
  prefix?: string;
  /** Longest wait between reconnection attempts in ms (the wait doubles from 50 ms, with jitter). Default 2000. */
  maxReconnectDelay?: number;
  /** Connection errors while Redis is away (they repeat on every attempt) and errors thrown by listeners. Default: ignored. */
  onError?: (error: Error) => void;
}

/** The client type both classes use. */
export type RedisClient = ReturnType<typeof redisClient>;

/** A client that reconnects forever with capped, jittered backoff and never emits an unhandled `error` event. */
export function redisClient(options: RedisConnectionOptions, offlineQueue: boolean) {
  const cap = options.maxReconnectDelay ?? 2000;
  const client = createClient({
    url: options.url,
    // Without the queue a command made while offline rejects at once instead of waiting without bound.
    disableOfflineQueue: !offlineQueue,
    socket: { reconnectStrategy: (retries) => Math.min(cap, 50 * 2 ** Math.min(retries, 10)) * (0.5 + Math.random() / 2) },
  });
  const onError = options.onError;
  // node-redis emits `error` on every failed attempt: a listener must exist or the process dies.
  client.on('error', (error: unknown) => onError?.(error instanceof Error ? error : new Error(String(error))));
  return client;
}
