/**
 * Connection settings shared by the NATS broker and the JetStream log.
 *
 * @module
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BrokerUnavailableError } from './errors.js';

/** Options every NATS-backed class takes. */
export interface NatsConnectionOptions {
  /** `nats://host:port` (or `host:port`), one or several of a cluster. */
  servers: string | string[];
  /** First subject token(s): servers sharing one NATS keep apart by it. Default `framewire`. */
  prefix?: string;
  /** Wait between reconnection attempts in ms (plus jitter). Default 250. */
  reconnectTimeWait?: number;
  /** Connection errors (they repeat on every attempt) and errors thrown by listeners. Default: ignored. */
  onError?: (error: Error) => void;
}

/** A live connection and whether it is up right now (it reconnects forever). */
export interface NatsLink {
  /** Settles once connected the first time; rejects only when closed before that. */
  readonly connection: Promise<NatsConnection>;
  /** False while disconnected or reconnecting. */
  online(): boolean;
  /** Stops trying and closes the connection if there is one. */
  close(): Promise<void>;
}

/**
 * Connects, retrying the first connection itself (the client's own
 * `waitOnFirstConnect` cannot be cancelled: a link closed before the server
 * came up would keep the process alive), then lets the client reconnect
 * forever, tracking up/down from its status stream.
 */
export function natsLink(options: NatsConnectionOptions): NatsLink {
  const wait = options.reconnectTimeWait ?? 250;
  let online = false;
  let closed = false;
  let nc: NatsConnection | undefined;
  let wake: (() => void) | undefined;
  const connection = (async () => {
    for (;;) {
      if (closed) throw new BrokerUnavailableError('NATS connection closed before it was made');
      try {
        nc = await connect({ servers: options.servers, maxReconnectAttempts: -1, reconnectTimeWait: wait, reconnectJitter: 100, name: 'framewire' });
        break;
      } catch (error) {
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait + Math.random() * 100);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    const live = nc;
    if (closed) {
      await live.close().catch(() => undefined);
      throw new BrokerUnavailableError('NATS connection closed before it was made');
    }
    online = true;
    void (async () => {
      for await (const status of live.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnecting') online = false;
        else if (status.type === 'reconnect') online = true;
        else if (status.type === 'error') options.onError?.(status.error instanceof Error ? status.error : new Error(String(status.error)));
      }
    })().catch(() => undefined);
    return live;
  })();
  connection.catch(() => undefined);
  return {
    connection,
    online: () => online && !closed,
    async close() {
      if (closed) return;
      closed = true;
      online = false;
      wake?.();
      if (nc !== undefined) await nc.close().catch(() => undefined);
    },
  };
}
