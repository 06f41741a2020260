// `node bench/broker-latency.mjs [--quick] [--rounds N] [--count N]`: cross-process publish→delivery latency
// through Redis pub/sub (RedisBroker) and NATS core (NatsBroker), beside the same path without a broker.
//
// Two server processes per broker: server B calls server.publish(topic, stamp); the broker carries it to
// server A (another process); A writes it to a WebSocket client (this process), which takes the time. The
// stamp is process.hrtime.bigint() (CLOCK_MONOTONIC, shared by every process of the machine), so latency =
// receive time - publish time, both on one clock. `local` is the floor: B's own subscriber, no broker.
// Rounds interleave the brokers (redis, nats, local, redis, …); each figure is the median over rounds of
// that round's p50 / p99. Messages are spaced (GAP_MS) so this measures latency, not throughput.
// Needs `pnpm build`, redis-server and nats-server (FW_REDIS_SERVER / FW_NATS_SERVER override the paths).
// Part of `pnpm bench` (`--skip-brokers` leaves it out); writes bench/results/broker-latency.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@framewire/node-adapter';
import { summarize } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const GAP_MS = 2;
/** Every wait is bounded: a stuck round fails the bench instead of hanging it. */
const ROUND_TIMEOUT_MS = 60_000;
const children = new Set();

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitListening(port, deadlineMs = 20_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killChildren() {
  for (const child of children) child.kill('SIGKILL');
}

async function startService(kind, dir) {
  const port = await freePort();
  const [command, args] =
    kind === 'redis'
      ? [process.env.FW_REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]]
      : [process.env.FW_NATS_SERVER ?? '/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)]];
  const child = track(spawn(command, args, { cwd: dir, stdio: 'ignore' }));
  const failed = new Promise((_, reject) => child.once('error', (error) => reject(new Error(`cannot start ${command}: ${error.message}`))));
  await Promise.race([waitListening(port), failed]);
  return `${kind}://127.0.0.1:${port}`;
}

async function startNode(kind, url) {
  const child = track(spawn(process.execPath, [join(here, 'servers/broker-node.mjs'), kind, url ?? ''], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = createInterface({ input: child.stdout });
  const waiters = [];
  lines.on('line', (line) => waiters.shift()?.(line));
  const next = () => new Promise((resolve) => waiters.push(resolve));
  const ready = await next();
  if (!ready.startsWith('READY ')) throw new Error(`broker-node said ${ready}`);
  return { port: Number(ready.slice(6)), child, stamp: (topic, count, tag) => (child.stdin.write(`stamp ${topic} ${count} ${GAP_MS} ${tag}\n`), next()) };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One round: `count` stamped publishes from `publisher`, received through `receiver`'s subscriber. */
async function round(publisher, receiver, topic, count) {
  const ws = await connect(`ws://127.0.0.1:${receiver.port}/${topic}`);
  const latencies = [];
  let ready = false;
  let warmed = false;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  ws.on('message', (data) => {
    const now = process.hrtime.bigint();
    const text = String(data);
    if (text === 'subscribed') return void (ready = true);
    const [tag, , sent] = text.split(' ');
    // One publisher, one path: every warm-up message arrives before the measured ones.
    if (tag === 'w') return void (warmed = true);
    latencies.push(Number(now - BigInt(sent)) / 1e6);
    if (latencies.length === count) resolveDone();
  });
  const deadline = Date.now() + ROUND_TIMEOUT_MS;
  while (!ready && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  // The receiver's broker subscription is asynchronous: warm up until one message comes through.
  while (!warmed) {
    if (Date.now() > deadline) throw new Error(`${topic}: no message came through the broker`);
    await publisher.stamp(topic, 1, 'w');
  }
  await publisher.stamp(topic, count, 'm');
  const timer = setTimeout(() => resolveDone(), Math.max(1000, deadline - Date.now()));
  await done;
  clearTimeout(timer);
  ws.close();
  if (latencies.length < count) throw new Error(`${topic}: ${latencies.length} of ${count} messages arrived`);
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Runs the bench; resolves with the rows and the markdown report. */
export async function runBrokerLatency({ quick = false, rounds, count } = {}) {
  const roundCount = rounds ?? (quick ? 5 : 9);
  const perRound = count ?? (quick ? 200 : 1000);
  const dir = mkdtempSync(join(tmpdir(), 'fw-broker-bench-'));
  try {
    const setups = {};
    for (const kind of ['redis', 'nats']) {
      const url = await startService(kind, dir);
      setups[kind] = { publisher: await startNode(kind, url), receiver: await startNode(kind, url) };
    }
    const local = await startNode('none');
    setups.local = { publisher: local, receiver: local };
    const results = { redis: [], nats: [], local: [] };
    for (let r = 0; r < roundCount; r++) {
      for (const kind of ['redis', 'nats', 'local']) {
        results[kind].push(await round(setups[kind].publisher, setups[kind].receiver, `bench${r}`, perRound));
        process.stderr.write(`round ${r + 1}/${roundCount} ${kind}: p50 ${results[kind].at(-1).p50.toFixed(3)} ms p99 ${results[kind].at(-1).p99.toFixed(3)} ms\n`);
      }
    }
    const rows = Object.entries(results).map(([kind, list]) => ({ kind, p50: summarize(list.map((x) => x.p50)), p99: summarize(list.map((x) => x.p99)) }));
    const fmt = (s) => `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
    const label = { redis: 'Redis pub/sub (RedisBroker), B → Redis → A → WebSocket', nats: 'NATS core (NatsBroker), B → NATS → A → WebSocket', local: 'no broker: B → its own WebSocket subscriber (floor)' };
    const report = [
      `Cross-process publish→delivery latency, ms: median of ${roundCount} interleaved rounds of ${perRound} messages, ${GAP_MS} ms apart (min–max over rounds).`,
      '',
      '| path | p50 | p99 |',
      '|---|---|---|',
      ...rows.map((row) => `| ${label[row.kind]} | ${fmt(row.p50)} | ${fmt(row.p99)} |`),
      '',
    ].join('\n');
    return { rows, report };
  } finally {
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const option = (name) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  try {
    const { report } = await runBrokerLatency({ quick: argv.includes('--quick'), rounds: option('rounds'), count: option('count') });
    writeFileSync(join(here, 'results', 'broker-latency.md'), report);
    console.log(report);
    process.exit(0);
  } catch (error) {
    console.error(`broker latency bench failed: ${error.stack ?? error}`);
    killChildren();
    process.exit(1);
  }
}
