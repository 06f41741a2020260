// A ReconnectingClient on a manual clock whose connect() hands out
// in-memory session pairs (or scripted failures), for the codec's own
// reconnect tests. The adapters' tests run it against real servers.
import { ReconnectingClient, type ReconnectOptions } from '../src/adapter/reconnecting-client.js';
import type { Session } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { sessionPair, settle } from './session-helpers.js';

/** One scripted connect outcome: a failure, or a connection (optionally with a negotiated subprotocol). */
export type Outcome = Error | { protocol?: string };

export interface Harness<M> {
  clock: ManualClock;
  client: ReconnectingClient<M>;
  /** URLs connect() was called with, in order. */
  urls: string[];
  /** The server end of every connection opened, in order. */
  servers: Session[];
  /** Everything each server received, as text, by connection. */
  received: string[][];
  events: string[];
  /** Advance the clock by `ms` and let the promises it started settle. */
  advance(ms: number): Promise<void>;
}

/** Start a client on a manual clock; `script` answers each connect() in turn, then every later one succeeds. */
export async function harness<M = unknown>(script: Outcome[], options: ReconnectOptions & Record<string, unknown> = {}): Promise<Harness<M>> {
  const clock = new ManualClock(1000);
  const urls: string[] = [];
  const servers: Session[] = [];
  const received: string[][] = [];
  const events: string[] = [];
  const client = new ReconnectingClient<M>('ws://example.test/topics/news', options, {
    scheduler: clock,
    connect: async (url) => {
      urls.push(url);
      const next = script.shift() ?? {};
      if (next instanceof Error) throw next;
      const pair = sessionPair({ clock, client: next.protocol === undefined ? {} : { protocol: next.protocol } });
      const inbox: string[] = [];
      received.push(inbox);
      servers.push(pair.server);
      pair.server.on('message', (data) => {
        inbox.push(typeof data === 'string' ? data : `bytes:${(data as Uint8Array).byteLength}`);
      });
      return pair.client;
    },
  });
  client.on('online', (info) => events.push(`online#${info.connection}`));
  client.on('offline', (reason) => events.push(`offline:${reason.kind === 'close' ? reason.code : reason.kind}`));
  client.on('reconnecting', (info) => events.push(`reconnecting#${info.attempt}`));
  client.on('close', (info) => events.push(`close:${info.cause}`));
  client.on('error', () => events.push('error'));
  await settle();
  return {
    clock,
    client,
    urls,
    servers,
    received,
    events,
    async advance(ms) {
      clock.advance(ms);
      await settle();
    },
  };
}
