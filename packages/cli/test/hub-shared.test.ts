// Two hubs in one process sharing one broker and one log (the in-memory
// pair): what `--redis`/`--nats` will do across processes. A publish on hub
// A reaches hub B's subscribers through the broker with the id A's log gave
// it, and a subscriber of B resumes with `since` across both hubs' messages.
import { MemoryBroker } from '@framewire/node-adapter';
import { MemoryLog } from '@framewire/pubsub';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubBackend } from '../src/hub/backend.js';
import { parseHubConfig } from '../src/hub/hub-config.js';
import { startHub, type RunningHub } from '../src/hub/hub-server.js';
import type { Log } from '../src/log.js';
import { record } from './helpers/client.js';

const errors: string[] = [];
const log: Log = { info: () => {}, error: (message) => errors.push(message), programStderr: () => {} };
const started: RunningHub[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((hub) => hub.close(1000)));
  expect(errors).toEqual([]);
});

const broker = new MemoryBroker();

async function twoHubs(): Promise<[RunningHub, RunningHub]> {
  const shared: HubBackend = { broker, log: new MemoryLog({ maxLength: 100 }), description: 'shared', close: async () => {} };
  const config = parseHubConfig(['--port', '0'], {});
  const a = await startHub(config, log, shared);
  const b = await startHub(config, log, shared);
  started.push(a, b);
  return [a, b];
}

const post = (hub: RunningHub, topic: string, body: string): Promise<{ id: string }> =>
  fetch(`http://127.0.0.1:${hub.port}/topics/${topic}`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } }).then(
    (response) => response.json() as Promise<{ id: string }>,
  );

describe('hubs sharing a broker and a log', () => {
  it('a publish on hub A reaches subscribers of hub B once, with the id from the shared log; A keeps its sender out', async () => {
    const [a, b] = await twoHubs();
    const onB = await record(`ws://127.0.0.1:${b.port}/topics/news`, { protocols: ['framewire.v1'] });
    const plainOnB = await record(`ws://127.0.0.1:${b.port}/topics/news`);
    const sender = await record(`ws://127.0.0.1:${a.port}/topics/news`);
    const onA = await record(`ws://127.0.0.1:${a.port}/topics/news`);
    const { id } = await post(a, 'news', 'over http on A');
    sender.session.send('over ws on A');
    await onB.received(2);
    await plainOnB.received(2);
    await onA.received(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const envelopes = onB.messages.map((m) => JSON.parse(m as string) as { id: string; data: string });
    expect(envelopes).toEqual([
      { topic: 'news', id, data: 'over http on A' },
      { topic: 'news', id: String(Number(id) + 1), data: 'over ws on A' },
    ]);
    expect(plainOnB.messages).toEqual(['over http on A', 'over ws on A']);
    expect(onA.messages).toEqual(['over http on A', 'over ws on A']);
    expect(sender.messages).toEqual(['over http on A']);
    // No leak: once every subscriber left, neither hub listens on the broker.
    expect(broker.listenerCount('news')).toBe(2);
    for (const client of [onB, plainOnB, sender, onA]) client.session.close(1000);
    await Promise.all([onB, plainOnB, sender, onA].map((client) => client.closed));
    const deadline = Date.now() + 5000;
    while (broker.topics.length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(broker.topics).toEqual([]);
  });

  it('a subscriber of B that was away resumes with since and gets what was published on A and on B, in order', async () => {
    const [a, b] = await twoHubs();
    const first = await record(`ws://127.0.0.1:${b.port}/topics/feed`, { protocols: ['framewire.v1'] });
    await post(a, 'feed', 'one');
    await first.received(1);
    const last = (JSON.parse(first.messages[0] as string) as { id: string }).id;
    first.session.close(1000);
    await first.closed;
    await post(a, 'feed', 'two');
    await post(b, 'feed', 'three');
    await post(a, 'feed', 'four');
    const back = await record(`ws://127.0.0.1:${b.port}/topics/feed?since=${last}`, { protocols: ['framewire.v1'] });
    await back.received(3);
    await post(a, 'feed', 'five');
    await back.received(4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(back.messages.map((m) => (JSON.parse(m as string) as { data: string }).data)).toEqual(['two', 'three', 'four', 'five']);
  });
});
