// A `since` subscriber on one hub while another hub publishes: the other hub
// appends to the log first and reaches the broker later, so a message the
// history read returned can still arrive live. It must reach the client once.
import { connect, MemoryBroker, type Broker, type BrokerMessage, WebSocketServer } from '@framewire/node-adapter';
import { MemoryLog } from '@framewire/pubsub';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBrokerData } from '../src/hub/envelope.js';
import { HubTopics } from '../src/hub/hub-topics.js';
const SETTLE_MS = 2000;

/** The real embedded broker, with each publish reaching it `delayMs` late (a broker a network hop away). */
function lateBroker(inner: Broker, delayMs: number): Broker {
  return {
    publish: (message: BrokerMessage) => {
      const copy = { ...message, data: message.data.slice() };
      setTimeout(() => void inner.publish(copy), delayMs);
    },
    subscribe: (topic, listener) => inner.subscribe(topic, listener),
    unsubscribe: (topic, listener) => inner.unsubscribe(topic, listener),
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

describe('hub topics: the history read and a late broker', () => {
  it('a message the read returned and the broker brings again reaches the client once; later ones once each, before and after the settle time', async () => {
    const log = new MemoryLog();
    const broker = new MemoryBroker();
    const errors: Error[] = [];
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    servers.push(server);
    const { port } = await server.listen();
    const here = new HubTopics({ server, broker, log, echo: false, maxTopics: 10, historyLimit: 100, onError: (e) => errors.push(e) });
    // The other hub has no WebSocket clients: only its publishes matter.
    const otherServer = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    servers.push(otherServer);
    const other = new HubTopics({ server: otherServer, broker: lateBroker(broker, 150), log, echo: false, maxTopics: 10, historyLimit: 100, onError: (e) => errors.push(e) });

    // What the broker carries on the topic, as any hub hears it.
    const carried: string[] = [];
    broker.subscribe('ticker', (message) => carried.push(new TextDecoder().decode(decodeBrokerData(message.data)?.payload)));
    const first = await other.publish('ticker', text('tick-1'), false);
    await pause(300);
    // Appended now, on the broker 150 ms from now: the subscriber's history read sees it first.
    await other.publish('ticker', text('tick-2'), false);
    server.on('connection', (session) => here.subscribe(session, 'ticker', 'v1', first));
    const client = await connect(`ws://127.0.0.1:${port}/`);
    const got: string[] = [];
    client.on('message', (data) => got.push(JSON.parse(String(data)).data as string));
    await pause(400); // the late copy of tick-2 has come and gone
    await other.publish('ticker', text('tick-3'), false); // live while settling
    await pause(SETTLE_MS + 300);
    await other.publish('ticker', text('tick-4'), false); // through the server topic
    await pause(400);
    client.close();
    expect(got).toEqual(['tick-2', 'tick-3', 'tick-4']);
    expect(errors).toEqual([]);
    // The broker did bring tick-2 after the read had returned it (the case under test happened).
    expect(carried).toEqual(['tick-1', 'tick-2', 'tick-3', 'tick-4']);
  });
});
