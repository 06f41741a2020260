/**
 * Connection settings shared by the NATS broker and the JetStream log.
 *
 * @module
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { unavailable } from './errors.js';

/** Options every NATS-backed class takes. */
export interface NatsConnectionOptions {
  /** `nats://host:port` (or `host:port`), one or several of a cluster. */
  servers: string | string[];
  /** First subject token(s): servers sharing one NATS keep apart by it. Default `framewire`. */
  prefix?: string;
  /** Wait between reconnection attempts in ms (plus jitter). Default 250. */
  reconnectTimeWait?: number;
  /** Connection errors and status changes worth logging. Default: ignored. */
  onError?: (error: Error) => void;
}

/** A live connection and whether it is up right now (it reconnects forever). */
export interface NatsLink {
  readonly connection: Promise<NatsConnection>;
  /** False while disconnected or reconnecting. */
  online(): boolean;
}

/** Connects with infinite reconnection, tracking up/down from the status stream. */
export function natsLink(options: NatsConnectionOptions): NatsLink {
  let online = false;
  const connection = connect({
    servers: options.servers,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWait ?? 250,
    reconnectJitter: 100,
    // Keep trying when the server is not up yet, as after an outage.
    waitOnFirstConnect: true,
    name: 'framewire',
  }).then(
    (nc) => {
      online = true;
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === 'disconnect' || status.type === 'reconnecting') online = false;
          else if (status.type === 'reconnect') online = true;
          else if (status.type === 'error') options.onError?.(status.error instanceof Error ? status.error : new Error(String(status.error)));
        }
      })().catch(() => undefined);
      return nc;
    },
    (error: unknown) => {
      throw unavailable('NATS', error);
    },
  );
  connection.catch(() => undefined);
  return { connection, online: () => online };
}
