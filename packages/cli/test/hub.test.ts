// `framewire hub` as users run it: the real CLI process, real clients (the
// node adapter's connect and the `ws` package) and fetch.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, HandshakeStatusError, type ConnectOptions } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import WebSocket from 'ws';
import { record, type Recorder } from './helpers/client.js';
import { rssBytes, runCli, startCli, stopAll, waitFor, type RunningCli } from './helpers/cli.js';

afterEach(stopAll);

const ws = (cli: RunningCli, path: string): string => `ws://127.0.0.1:${cli.port}${path}`;
const http = (cli: RunningCli, path: string): string => `http://127.0.0.1:${cli.port}${path}`;
const hub = (...flags: string[]): Promise<RunningCli> => startCli(['hub', '--port', '0', ...flags]);

interface Envelope {
  topic: string;
  id: string;
  data: string;
  binary?: true;
}

/** POST a text body; resolves with the status and parsed JSON (or text). */
async function post(url: string, body: string | Uint8Array<ArrayBuffer>, type = 'text/plain', headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': type, ...headers } });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a text answer
  }
  return { status: response.status, body: parsed };
}

/** The status a refused upgrade got. */
async function upgradeStatus(url: string, options: ConnectOptions = {}): Promise<number> {
  try {
    const session = await connect(url, options);
    session.close(1000);
    return 101;
  } catch (error) {
    if (error instanceof HandshakeStatusError) return error.status;
    throw error;
  }
}

/** A `framewire.v1` subscriber: the envelopes it got. */
async function v1(url: string, options: ConnectOptions = {}): Promise<Recorder & { envelopes(): Envelope[] }> {
  const client = await record(url, { ...options, protocols: ['framewire.v1'] });
  expect(client.session.protocol).toBe('framewire.v1');
  return { ...client, envelopes: () => client.messages.map((m) => JSON.parse(m as string) as Envelope) };
}

describe('hub: publish and subscribe', () => {
  it('plain mode: a socket message reaches the other subscribers as-is, not its sender (no --echo); HTTP POST answers 202 with the id', async () => {
    const cli = await hub();
    expect(cli.stderr()).toMatch(/WARNING: hub without --secret/);
    const a = await record(ws(cli, '/topics/news'));
    const b = await record(ws(cli, '/topics/news'));
    expect(a.session.protocol).toBe('');
    a.session.send('from a');
    await b.received(1);
    const posted = await post(http(cli, '/topics/news'), 'from http');
    expect(posted).toEqual({ status: 202, body: { id: '2' } });
    await b.received(2);
    await a.received(1);
    expect(b.messages).toEqual(['from a', 'from http']);
    // a never got its own message: the first thing it saw is the HTTP one.
    expect(a.messages).toEqual(['from http']);
  });

  it('--echo: the sender gets its own messages too', async () => {
    const cli = await hub('--echo');
    const a = await record(ws(cli, '/topics/news'));
    a.session.send('mine');
    await a.received(1);
    expect(a.messages).toEqual(['mine']);
  });

  it('framewire.v1 (with the ws package): JSON envelopes with ids; binary payloads base64 with binary: true; plain subscribers get a binary frame', async () => {
    const cli = await hub();
    const socket = new WebSocket(ws(cli, '/topics/files'), ['framewire.v1']);
    const got: Envelope[] = [];
    socket.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      got.push(JSON.parse(String(data)) as Envelope);
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    expect(socket.protocol).toBe('framewire.v1');
    const plain = await record(ws(cli, '/topics/files'));
    expect((await post(http(cli, '/topics/files'), 'héllo', 'text/plain; charset=utf-8')).status).toBe(202);
    expect((await post(http(cli, '/topics/files'), new Uint8Array([0, 1, 255]), 'application/octet-stream')).status).toBe(202);
    expect((await post(http(cli, '/topics/files'), '{"a":1}', 'application/json')).status).toBe(202);
    await plain.received(3);
    const deadline = Date.now() + 10_000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toEqual([
      { topic: 'files', id: '1', data: 'héllo' },
      { topic: 'files', id: '2', binary: true, data: 'AAH/' },
      { topic: 'files', id: '3', data: '{"a":1}' },
    ]);
    expect(plain.messages[0]).toBe('héllo');
    expect([...(plain.messages[1] as Uint8Array)]).toEqual([0, 1, 255]);
    // A message sent by a v1 client is the bare payload.
    socket.send('raw text');
    await plain.received(4);
    expect(plain.messages[3]).toBe('raw text');
    socket.close();
  });

  it('nothing leaks across topics, over WebSocket or in history', async () => {
    const cli = await hub();
    const a = await v1(ws(cli, '/topics/room.a'));
    const b = await v1(ws(cli, '/topics/room.b'));
    const prefix = await v1(ws(cli, '/topics/room'));
    await post(http(cli, '/topics/room.b'), 'for b');
    await post(http(cli, '/topics/room.a'), 'for a');
    await post(http(cli, '/topics/room'), 'for room');
    await a.received(1);
    await b.received(1);
    await prefix.received(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.envelopes().map((e) => e.data)).toEqual(['for a']);
    expect(b.envelopes().map((e) => e.data)).toEqual(['for b']);
    expect(prefix.envelopes().map((e) => e.data)).toEqual(['for room']);
    const history = (await (await fetch(http(cli, '/topics/room.a/history'))).json()) as Envelope[];
    expect(history.map((e) => [e.topic, e.data])).toEqual([['room.a', 'for a']]);
  });
});

describe('hub: history and since', () => {
  it('GET history: oldest first, limit default 100, max 1000; --history bounds what is kept', async () => {
    const cli = await hub('--history', '3');
    for (const word of ['one', 'two', 'three', 'four', 'five']) expect((await post(http(cli, '/topics/h'), word)).status).toBe(202);
    const all = (await (await fetch(http(cli, '/topics/h/history'))).json()) as Envelope[];
    expect(all).toEqual([
      { topic: 'h', id: '3', data: 'three' },
      { topic: 'h', id: '4', data: 'four' },
      { topic: 'h', id: '5', data: 'five' },
    ]);
    const last = (await (await fetch(http(cli, '/topics/h/history?limit=1'))).json()) as Envelope[];
    expect(last.map((e) => e.data)).toEqual(['five']);
    for (const bad of ['0', '1001', 'x', '-1', '1.5']) expect((await fetch(http(cli, `/topics/h/history?limit=${bad}`))).status, bad).toBe(400);
    expect((await fetch(http(cli, '/topics/h/history?limit=1000'))).status).toBe(200);
    expect(await (await fetch(http(cli, '/topics/never/history'))).json()).toEqual([]);
  });

  it('a subscriber that comes back with since=<last id> gets exactly what it missed, in order, then live, no duplicate', async () => {
    const cli = await hub();
    const first = await v1(ws(cli, '/topics/feed'));
    const publisher = await record(ws(cli, '/topics/feed'));
    for (let i = 1; i <= 3; i++) publisher.session.send(`m${i}`);
    await first.received(3);
    const lastSeen = first.envelopes().at(-1)!.id;
    first.session.close(1000);
    await first.closed;
    // Published while it was away: over WebSocket and HTTP.
    for (let i = 4; i <= 6; i++) publisher.session.send(`m${i}`);
    await post(http(cli, '/topics/feed'), 'm7');
    // Other topics in between must not show up.
    await post(http(cli, '/topics/other'), 'not for feed');
    const back = await v1(ws(cli, `/topics/feed?since=${lastSeen}`));
    await back.received(4);
    publisher.session.send('m8');
    await back.received(5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(back.envelopes().map((e) => e.data)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
    const ids = back.envelopes().map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(Number(ids[0])).toBeGreaterThan(Number(lastSeen));
  });

  it('since while publishing goes on: every message after since exactly once, in order (bounded load)', async () => {
    const cli = await hub('--history', '1000');
    const publisher = await record(ws(cli, '/topics/busy'));
    const total = 400;
    let sent = 0;
    // Publish steadily while clients resume at various points.
    const pump = (async () => {
      while (sent < total) {
        publisher.session.send(`n${++sent}`);
        if (sent % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const resumed: Array<{ since: number; client: Awaited<ReturnType<typeof v1>> }> = [];
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 15));
      const history = (await (await fetch(http(cli, '/topics/busy/history?limit=1'))).json()) as Envelope[];
      const since = history.length === 0 ? 0 : Math.max(0, Number(history[0]!.id) - 7);
      resumed.push({ since, client: await v1(ws(cli, `/topics/busy?since=${since}`)) });
    }
    await pump;
    for (const { since, client } of resumed) {
      await client.received(total - since);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ids = client.envelopes().map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: total - since }, (_, i) => since + 1 + i));
    }
  });

  it('a malformed since, or one after the newest message, is refused with 400 before the upgrade', async () => {
    const cli = await hub();
    await post(http(cli, '/topics/t'), 'x');
    expect(await upgradeStatus(ws(cli, '/topics/t?since=abc'))).toBe(400);
    expect(await upgradeStatus(ws(cli, '/topics/t?since=-1'))).toBe(400);
    expect(await upgradeStatus(ws(cli, '/topics/t?since=99'))).toBe(400);
    expect(await upgradeStatus(ws(cli, '/topics/t?since=1'))).toBe(101);
    expect(await upgradeStatus(ws(cli, '/topics/t?since=0'))).toBe(101);
  });
});

describe('hub: refusals and limits', () => {
  it('404 unknown paths, 400 bad topic names, 405 wrong methods (with Allow), 426 GET without upgrade, healthz', async () => {
    const cli = await hub();
    expect(await (await fetch(http(cli, '/healthz'))).text()).toBe('ok\n');
    expect((await fetch(http(cli, '/nope'))).status).toBe(404);
    expect((await fetch(http(cli, '/topics/a/b'))).status).toBe(404);
    expect(await upgradeStatus(ws(cli, '/elsewhere'))).toBe(404);
    for (const bad of ['%20x', '.hidden', 'a*', 'x'.repeat(129)]) {
      expect(await upgradeStatus(ws(cli, `/topics/${bad}`)), bad).toBe(400);
      expect((await post(http(cli, `/topics/${bad}`), 'x')).status, bad).toBe(400);
    }
    const put = await fetch(http(cli, '/topics/a'), { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect((await fetch(http(cli, '/topics/a/history'), { method: 'POST' })).status).toBe(405);
    expect((await fetch(http(cli, '/healthz'), { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(http(cli, '/tickets'))).status).toBe(405);
    expect((await fetch(http(cli, '/topics/a'))).status).toBe(426);
    expect((await post(http(cli, '/topics/a'), new Uint8Array([0xff, 0xfe]), 'text/plain')).status).toBe(400);
  });

  it('413 for a body over 1 MiB (the default); a WebSocket message over it is closed with 1009', async () => {
    const cli = await hub();
    const subscriber = await record(ws(cli, '/topics/big'));
    const tooBig = new Uint8Array(1024 * 1024 + 1);
    expect((await post(http(cli, '/topics/big'), tooBig, 'application/octet-stream')).status).toBe(413);
    expect((await post(http(cli, '/topics/big'), tooBig.subarray(1), 'application/octet-stream')).status).toBe(202);
    await subscriber.received(1);
    expect((subscriber.messages[0] as Uint8Array).length).toBe(1024 * 1024);
    const sender = await record(ws(cli, '/topics/big'));
    sender.session.send(tooBig);
    expect((await sender.closed).code).toBe(1009);
  });

  it('--max-connections and --max-topics refuse with 503 before the upgrade', async () => {
    const cli = await hub('--max-connections', '2', '--max-topics', '1');
    const a = await record(ws(cli, '/topics/one'));
    expect(await upgradeStatus(ws(cli, '/topics/two'))).toBe(503);
    const b = await record(ws(cli, '/topics/one'));
    expect(await upgradeStatus(ws(cli, '/topics/one'))).toBe(503);
    b.session.close(1000);
    await b.closed;
    a.session.close(1000);
    await a.closed;
    // Freed: the topic and the slots come back.
    let status = 0;
    for (let i = 0; i < 50 && status !== 101; i++) {
      status = await upgradeStatus(ws(cli, '/topics/two'));
      if (status !== 101) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(101);
  });

  it('a subscriber that does not read is dropped (1008 sent) while the others keep receiving; memory stays bounded', async () => {
    // No history: the hub's memory is then only what it queues for subscribers.
    const cli = await hub('--no-deflate', '--history', '0');
    const slow = await connect(ws(cli, '/topics/flood'), { perMessageDeflate: false, receiveHighWaterMessages: 1, receiveHighWaterBytes: 1 });
    slow.on('message', () => new Promise(() => {}));
    const fast = await connect(ws(cli, '/topics/flood'), { perMessageDeflate: false });
    let fastCount = 0;
    fast.on('message', () => void fastCount++);
    const publisher = await connect(ws(cli, '/topics/flood'), { perMessageDeflate: false });
    const rssBefore = rssBytes(cli.process.pid!);
    const chunk = new Uint8Array(64 * 1024);
    // Bounded: 2,000 messages of 64 KiB (125 MiB), paced by the publisher's own drain. Queued
    // for a subscriber that never reads, they would all stay in the hub (one shared frame each).
    let sent = 0;
    while (sent < 2000) {
      if (!publisher.send(chunk)) await publisher.drained();
      sent++;
      // The fast subscriber keeps up (at most 1 MiB behind): only the one that does not read falls 4 MiB behind.
      for (let wait = 0; sent - fastCount > 16 && wait < 1000; wait++) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The hub sends 1008, which a peer that does not read never sees: the close ends with 1006 at the close timeout.
    await waitFor(() => /\[1\] closed 100[68]/.test(cli.stderr()), 30_000, `the slow subscriber's close\n${cli.stderr()}`);
    await waitFor(() => fastCount >= sent, 30_000, `the fast subscriber to get all ${sent} messages (has ${fastCount})`);
    expect(fast.readyState).toBe(1);
    expect(rssBytes(cli.process.pid!) - rssBefore).toBeLessThan(96 * 1024 * 1024);
    fast.close(1000);
    publisher.close(1000);
    slow.terminate();
  });

  it('--max-topics also bounds the history: the least recently written topic is dropped', async () => {
    const cli = await hub('--max-topics', '3');
    for (const topic of ['t1', 't2', 't3', 't4']) await post(http(cli, `/topics/${topic}`), topic);
    expect(await (await fetch(http(cli, '/topics/t1/history'))).json()).toEqual([]);
    expect(((await (await fetch(http(cli, '/topics/t4/history'))).json()) as Envelope[]).map((e) => e.data)).toEqual(['t4']);
  });

  it('--redis / --nats with a URL that is not one of theirs, or both at once, exit 2', async () => {
    for (const [flag, wants] of [['--redis', /--redis wants a redis: or rediss: URL/], ['--nats', /--nats wants a nats: or tls: URL/]] as const) {
      const result = await runCli(['hub', '--port', '0', flag, 'x://127.0.0.1:1']);
      expect(result.code, flag).toBe(2);
      expect(result.stderr).toMatch(wants);
    }
    const both = await runCli(['hub', '--port', '0', '--redis', 'redis://127.0.0.1:1', '--nats', 'nats://127.0.0.1:1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exclude each other/);
    const bad = await runCli(['hub', '--history', '-1']);
    expect(bad.code).toBe(2);
  });
});

const python = '/usr/bin/python3';
const hasPython = existsSync(python) && spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
if (!hasPython) peerMissing(it, '/usr/bin/python3 with websockets (apt-get install python3-websockets): hub interop');

// websockets 10.4: subscribe with framewire.v1 and since, print the first `count` envelopes.
const PYTHON_SUBSCRIBER = `
import asyncio, json, sys, websockets
async def main(url, count):
    async with websockets.connect(url, subprotocols=["framewire.v1"]) as ws:
        print(json.dumps({"protocol": ws.subprotocol}), flush=True)
        for _ in range(count):
            print(await ws.recv(), flush=True)
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
`;

describe.skipIf(!hasPython)('hub with Python websockets', () => {
  it('a Python subscriber resumes with since and gets the envelopes it missed, then live ones', async () => {
    const cli = await hub();
    for (const word of ['a', 'b', 'c']) await post(http(cli, '/topics/py'), word);
    const child = spawn(python, ['-c', PYTHON_SUBSCRIBER, ws(cli, '/topics/py?since=1'), '3'], { cwd: mkdtempSync(join(tmpdir(), 'fw-py-')) });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const killer = setTimeout(() => child.kill(), 30_000);
    void exited.then(() => clearTimeout(killer));
    await waitFor(() => out.split('\n').length >= 4, 20_000, `python's replay: ${out}`);
    await post(http(cli, '/topics/py'), 'live');
    expect(await exited).toBe(0);
    expect(out.trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { protocol: 'framewire.v1' },
      { topic: 'py', id: '2', data: 'b' },
      { topic: 'py', id: '3', data: 'c' },
      { topic: 'py', id: '4', data: 'live' },
    ]);
  });
});
