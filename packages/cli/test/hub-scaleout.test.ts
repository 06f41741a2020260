// `framewire hub --redis URL` / `--nats URL` across processes: real hub CLI
// processes on a real redis-server / nats-server -js (random ports, temp
// folders, stopped after each test), real WebSocket clients and fetch.
import { reconnect, type HubMessage } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, startRedis, type Service } from '../../pubsub/test/services.js';
import { record, type Recorder } from './helpers/client.js';
import { processAlive, startCli, stopAll, waitFor, type RunningCli } from './helpers/cli.js';

type Kind = 'redis' | 'nats';

interface Envelope {
  topic: string;
  id: string;
  data: string;
}

const services: Service[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(services.splice(0).map((service) => service.stop()));
});

async function service(kind: Kind, persist = false): Promise<Service> {
  const started = kind === 'redis' ? await startRedis({ persist }) : await startNats({ jetstream: true });
  services.push(started);
  return started;
}

const hubOn = (kind: Kind, url: string, port = 0): Promise<RunningCli> => startCli(['hub', '--port', String(port), `--${kind}`, url, '--quiet']);
const wsUrl = (cli: RunningCli, path: string): string => `ws://127.0.0.1:${cli.port}${path}`;
const httpUrl = (cli: RunningCli, path: string): string => `http://127.0.0.1:${cli.port}${path}`;

/** POST text; the status and the JSON answer. */
async function post(cli: RunningCli, topic: string, body: string): Promise<{ status: number; body: { id?: string; error?: string; reason?: string } }> {
  const response = await fetch(httpUrl(cli, `/topics/${topic}`), { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
  return { status: response.status, body: (await response.json()) as { id?: string; error?: string; reason?: string } };
}

async function postOk(cli: RunningCli, topic: string, body: string): Promise<string> {
  const answer = await post(cli, topic, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.body.id!;
}

async function v1(url: string): Promise<Recorder & { envelopes(): Envelope[] }> {
  const client = await record(url, { protocols: ['framewire.v1'] });
  expect(client.session.protocol).toBe('framewire.v1');
  return { ...client, envelopes: () => client.messages.map((m) => JSON.parse(m as string) as Envelope) };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Another hub learns of a publish through the broker only once its
 * subscription reached Redis or NATS (asynchronous): publish `warm-N` on
 * `from` until `check` says it arrived (bounded).
 */
async function warmUp(from: RunningCli, topic: string, arrived: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let n = 0; !arrived(); n++) {
    if (Date.now() > deadline) throw new Error('the other hub never received a warm-up publish');
    await postOk(from, topic, `warm-${n}`);
    await pause(100);
  }
}

const notWarm = (data: string): boolean => !data.startsWith('warm-');

for (const kind of ['redis', 'nats'] as const) {
  describe(`two hub processes on one ${kind === 'redis' ? 'Redis' : 'NATS (JetStream)'}`, () => {
    it('a subscriber on hub A gets an HTTP publish made on hub B, plain and framewire.v1, with the same ids on both hubs', async () => {
      const server = await service(kind);
      const [a, b] = await Promise.all([hubOn(kind, server.url), hubOn(kind, server.url)]);
      expect(a.stderr()).toContain(`${kind} ${server.url}`);
      expect((await fetch(httpUrl(a, '/healthz'))).status).toBe(200);
      const onA = await v1(wsUrl(a, '/topics/news'));
      const plainOnA = await record(wsUrl(a, '/topics/news'));
      const onB = await v1(wsUrl(b, '/topics/news'));
      await warmUp(b, 'news', () => onA.messages.length > 0 && plainOnA.messages.length > 0);

      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) ids.push(await postOk(b, 'news', `m${i}`));
      const wanted = ['m1', 'm2', 'm3', 'm4', 'm5'];
      await waitFor(() => onA.envelopes().filter((e) => notWarm(e.data)).length === 5 && plainOnA.messages.filter((m) => notWarm(m as string)).length === 5, 15_000, 'five messages on hub A');
      await waitFor(() => onB.envelopes().filter((e) => notWarm(e.data)).length === 5, 15_000, 'five messages on hub B');
      const fromA = onA.envelopes().filter((e) => notWarm(e.data));
      const fromB = onB.envelopes().filter((e) => notWarm(e.data));
      expect(fromA.map((e) => e.data)).toEqual(wanted);
      expect(fromA.map((e) => e.id)).toEqual(ids);
      expect(fromB.map((e) => e.id)).toEqual(ids);
      expect(plainOnA.messages.filter((m) => notWarm(m as string))).toEqual(wanted);
      // And the history reads the same on either hub.
      const history = (await (await fetch(httpUrl(a, '/topics/news/history?limit=5'))).json()) as Envelope[];
      expect(history.map((e) => e.id)).toEqual(ids);
    });

    it('a subscriber that leaves hub A and comes back on hub B with since gets exactly what it missed, in order, then live ones', async () => {
      const server = await service(kind);
      const [a, b] = await Promise.all([hubOn(kind, server.url), hubOn(kind, server.url)]);
      const first = await v1(wsUrl(a, '/topics/room'));
      const seen = await postOk(a, 'room', 'before');
      await first.received(1);
      expect(first.envelopes()[0]!.id).toBe(seen);
      first.session.close(1000);
      await first.closed;

      const missed: string[] = [];
      for (let i = 1; i <= 4; i++) missed.push(await postOk(i % 2 === 0 ? a : b, 'room', `missed-${i}`));
      const back = await v1(wsUrl(b, `/topics/room?since=${encodeURIComponent(seen)}`));
      await back.received(4);
      expect(back.envelopes().map((e) => e.id)).toEqual(missed);
      expect(back.envelopes().map((e) => e.data)).toEqual(['missed-1', 'missed-2', 'missed-3', 'missed-4']);
      // Live after the catch-up, published on the other hub: once, after the history.
      const live = await postOk(a, 'room', 'live');
      await back.received(5);
      await pause(300);
      expect(back.envelopes().map((e) => e.id)).toEqual([...missed, live]);
    });
  });
}

for (const kind of ['redis', 'nats'] as const) {
  it(`${kind}: a hub started while ${kind === 'redis' ? 'Redis' : 'NATS'} is down starts anyway, answers 503 (JSON) and /healthz 503, and recovers when it comes`, async () => {
    const server = await service(kind, kind === 'redis');
    await server.kill();
    const hub = await hubOn(kind, server.url);
    expect(hub.stderr()).toMatch(/is not reachable yet; starting anyway/);
    const health = await fetch(httpUrl(hub, '/healthz'));
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/^unavailable: (Redis|NATS) unavailable: broker and log not connected/);
    const refused = await post(hub, 'early', 'nope');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('publish failed: the message log is unavailable, nothing was published');
    // A subscription made during the outage takes effect when the server comes.
    const subscriber = await v1(wsUrl(hub, '/topics/early'));

    await server.restart();
    const deadline = Date.now() + 20_000;
    while ((await fetch(httpUrl(hub, '/healthz'))).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the hub did not see ${kind} come:\n${hub.stderr()}`);
      await pause(100);
    }
    const id = await postOk(hub, 'early', 'now');
    await subscriber.received(1);
    expect(subscriber.envelopes()).toEqual([{ topic: 'early', id, data: 'now' }]);
    expect(hub.process.exitCode).toBeNull();
  });
}

for (const kind of ['redis', 'nats'] as const) {
  const name = kind === 'redis' ? 'Redis (AOF, fsync always)' : 'NATS (JetStream on disk)';
  describe(`${name} killed (SIGKILL) mid-stream and restarted on the same port`, () => {
    it('neither hub crashes, publishes answer 503 meanwhile, subscriptions come back, and a resuming subscriber loses nothing that was accepted', async () => {
      const server = await service(kind, true);
      const [a, b] = await Promise.all([hubOn(kind, server.url), hubOn(kind, server.url)]);
      // `live` stays connected through the outage; `resumer` leaves and comes back with since.
      const live = await v1(wsUrl(a, '/topics/feed'));
      const resumer = await v1(wsUrl(a, '/topics/feed'));
      await warmUp(b, 'feed', () => live.messages.length > 0 && resumer.messages.length > 0);

      const accepted: Array<{ id: string; data: string }> = [];
      const refused: string[] = [];
      let n = 0;
      const publishSome = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          const data = `msg-${++n}`;
          const answer = await post(b, 'feed', data);
          if (answer.status === 202) accepted.push({ id: answer.body.id!, data });
          else {
            expect(answer.status).toBe(503);
            expect(answer.body.error).toMatch(/publish failed/);
            expect(answer.body.reason).toMatch(kind === 'redis' ? /^Redis unavailable/ : /^NATS unavailable/);
            refused.push(data);
          }
        }
      };

      await publishSome(20);
      expect(refused).toEqual([]);
      await waitFor(() => resumer.envelopes().some((e) => e.data === 'msg-20'), 15_000, 'msg-20 on the resumer');
      const lastSeen = resumer.envelopes().at(-1)!.id;
      resumer.session.close(1000);
      await resumer.closed;
      const before = accepted.length;

      await server.kill();
      await publishSome(10);
      expect(refused.length).toBeGreaterThan(0);
      for (const hub of [a, b]) {
        const health = await fetch(httpUrl(hub, '/healthz'));
        expect(health.status).toBe(503);
        expect(await health.text()).toMatch(kind === 'redis' ? /^unavailable: Redis unavailable/ : /^unavailable: NATS unavailable/);
      }
      await server.restart();
      // Both hubs see Redis again by themselves (bounded wait).
      for (const hub of [a, b]) {
        const deadline = Date.now() + 20_000;
        while ((await fetch(httpUrl(hub, '/healthz'))).status !== 200) {
          if (Date.now() > deadline) throw new Error(`hub did not see ${kind} back:\n${hub.stderr()}`);
          await pause(100);
        }
      }
      refused.length = 0;
      await publishSome(20);
      expect(refused).toEqual([]);
      expect(processAlive(a.process.pid!) && processAlive(b.process.pid!)).toBe(true);
      expect(a.process.exitCode).toBeNull();
      expect(b.process.exitCode).toBeNull();

      // The live subscriber's broker subscription came back: it gets what was published on B after the restart.
      const last = accepted.at(-1)!;
      await waitFor(() => live.envelopes().some((e) => e.id === last.id), 15_000, 'the last message on the live subscriber');

      // The resumer comes back with its last id and gets every accepted message after it, in order.
      const back = await v1(wsUrl(a, `/topics/feed?since=${encodeURIComponent(lastSeen)}`));
      await waitFor(() => back.envelopes().some((e) => e.id === last.id), 15_000, 'the resumer to catch up');
      const got = back.envelopes();
      const ids = got.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort(kind === 'redis' ? compareStreamIds : (x, y) => Number(x) - Number(y))).toEqual(ids);
      const missed = accepted.slice(before);
      const gotIds = new Set(ids);
      expect(missed.filter((m) => !gotIds.has(m.id))).toEqual([]);
      // Anything beyond the accepted ones can only be a publish whose XADD landed as Redis died (answered 503).
      const acceptedIds = new Set(missed.map((m) => m.id));
      for (const extra of got.filter((e) => !acceptedIds.has(e.id))) expect(extra.data).toMatch(/^msg-(2[1-9]|30)$/);
    });
  });
}

describe('reconnect(url, { resume: framewire.v1 }) against the real hub', () => {
  it('its hub is killed and comes back on the same port: every message published meanwhile on the other hub arrives exactly once, in order', async () => {
    const redis = await service('redis', true);
    const [a, b] = await Promise.all([hubOn('redis', redis.url), hubOn('redis', redis.url)]);
    const port = a.port;
    const client = reconnect(wsUrl(a, '/topics/ticker'), { resume: 'framewire.v1', initialDelay: 100, maxDelay: 500 });
    const got: HubMessage[] = [];
    let onlines = 0;
    client.on('message', (message) => got.push(message));
    client.on('online', () => onlines++);
    try {
      await warmUp(b, 'ticker', () => got.length > 0);
      const accepted: string[] = [];
      let n = 0;
      const publishSome = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) accepted.push(await postOk(b, 'ticker', `tick-${++n}`));
      };
      await publishSome(10);
      await waitFor(() => got.some((m) => m.data === 'tick-10'), 15_000, 'tick-10');

      // The client's hub dies without a close frame; the other keeps accepting.
      a.process.kill('SIGKILL');
      await new Promise((resolve) => a.process.once('exit', resolve));
      await publishSome(15);
      const restarted = await hubOn('redis', redis.url, port);
      expect(restarted.port).toBe(port);
      await waitFor(() => onlines >= 2, 20_000, 'the client back online');
      await publishSome(10);
      await waitFor(() => got.some((m) => m.data === 'tick-35'), 20_000, 'tick-35');
      await pause(300);

      const ticks = got.filter((m) => typeof m.data === 'string' && m.data.startsWith('tick-'));
      expect(ticks.map((m) => m.id)).toEqual(accepted);
      expect(ticks.map((m) => m.data)).toEqual(accepted.map((_, i) => `tick-${i + 1}`));
    } finally {
      client.close();
    }
  });
});

/** Redis stream ids in Redis's order (`ms-seq`, both 64-bit). */
function compareStreamIds(x: string, y: string): number {
  const [xm, xs] = x.split('-').map(BigInt) as [bigint, bigint];
  const [ym, ys] = y.split('-').map(BigInt) as [bigint, bigint];
  return xm !== ym ? (xm < ym ? -1 : 1) : xs === ys ? 0 : xs < ys ? -1 : 1;
}
