import { ReconnectingClient, type ReconnectOptions, type HubMessage, type Scheduler, type SessionMessage } from '@framewire/codec/adapter';
import { connect, type ConnectOptions } from './client.js';
import { denoScheduler } from './deno-scheduler.js';

/**
 * denoScheduler's clock with timers that keep the process alive: while it waits
 * out a backoff delay the client has no socket, and an unref'ed timer would
 * let the process exit instead of reconnecting. `close()` clears them all.
 */
const keepAliveScheduler: Scheduler = {
  now: denoScheduler.now,
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as number),
};

/**
 * Options of {@link reconnect}: the reconnect settings (backoff, heartbeat,
 * offline queue, `onOpen`, `resume`) and {@link connect}'s options, used
 * for every attempt. `signal` is the client's own: stop it with `close()`.
 */
export type ReconnectConnectOptions = ReconnectOptions & Omit<ConnectOptions, 'signal'>;

/**
 * Open a WebSocket client that stays connected (on Deno): it connects at
 * once, reconnects with exponential backoff and full jitter when the
 * connection drops or a retried failure happens (see the README's table),
 * pings every `pingInterval` and drops a peer that misses
 * `maxMissedPongs` pongs, queues `send()` while offline (bounded) and
 * flushes in order after `onOpen` on every connect. With
 * `resume: 'framewire.v1'` it speaks the hub protocol, delivers
 * `{ topic, id, data }` and resumes with `?since=<last id>`.
 *
 * @example
 * ```ts
 * const client = reconnect('ws://127.0.0.1:8080/chat', { onOpen: ({ session }) => { session.send('join'); } });
 * client.on('online', () => console.log('online'));
 * client.on('offline', (reason) => console.log('offline', reason.kind));
 * client.on('message', (data) => console.log(data));
 * client.send('hello'); // queued until online
 * ```
 */
export function reconnect(url: string | URL, options: ReconnectConnectOptions & { resume: 'framewire.v1' }): ReconnectingClient<HubMessage, ConnectOptions>;
export function reconnect(url: string | URL, options?: ReconnectConnectOptions): ReconnectingClient<SessionMessage, ConnectOptions>;
export function reconnect(url: string | URL, options: ReconnectConnectOptions = {}): ReconnectingClient<SessionMessage | HubMessage, ConnectOptions> {
  return new ReconnectingClient<SessionMessage | HubMessage, ConnectOptions>(url, options as ReconnectOptions & ConnectOptions, {
    connect: (href, connectOptions) => connect(href, connectOptions),
    scheduler: keepAliveScheduler,
  });
}
