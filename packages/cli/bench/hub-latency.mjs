#!/usr/bin/env node
// Cross-process latency of `framewire hub`: HTTP POST on hub B to the
// framewire.v1 delivery on hub A, through Redis and through NATS, with the
// in-memory hub (POST and subscriber on one hub) as the baseline. Rounds are
// interleaved (memory, redis, nats, memory, …) so machine load hits all
// alike; prints p50/p99 per round and the median over rounds.
//
//   node packages/cli/bench/hub-latency.mjs [--rounds 5] [--messages 200]
//
// Needs redis-server and nats-server (FW_REDIS_SERVER / FW_NATS_SERVER);
// each is started on a free 127.0.0.1 port in a temp folder and stopped.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@framewire/node-adapter';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, messages: { type: 'string', default: '200' } } });
const ROUNDS = Math.min(50, Math.max(1, Number(values.rounds)));
const MESSAGES = Math.min(10_000, Math.max(10, Number(values.messages)));
const bin = new URL('../bin/framewire.mjs', import.meta.url).pathname;
const children = [];
const dirs = [];

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function service(command, args) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-'));
  dirs.push(dir);
  children.push(spawn(command, args(port, dir), { cwd: dir, stdio: 'ignore' }));
  return port;
}

function hub(args) {
  const child = spawn(process.execPath, [bin, 'hub', '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${log}`)), 30_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      if (/^READY$/m.test(log)) {
        clearTimeout(timer);
        resolve(Number(/127\.0\.0\.1:(\d+)\/topics/.exec(log)[1]));
      }
    });
  });
}

async function healthy(port) {
  const deadline = Date.now() + 30_000;
  while ((await fetch(`http://127.0.0.1:${port}/healthz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`hub on ${port} never got its backend`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A pair of hubs (the same one twice for memory): publish on `from`, subscribe on `to`. */
async function pair(name, args) {
  const to = await hub(args);
  const from = name === 'memory' ? to : await hub(args);
  await healthy(to);
  await healthy(from);
  const session = await connect(`ws://127.0.0.1:${to}/topics/bench`, { protocols: ['framewire.v1'] });
  let waiting;
  session.on('message', (data) => {
    const { data: text } = JSON.parse(data);
    if (waiting !== undefined && text === waiting.text) waiting.resolve(performance.now());
  });
  const post = (text) => fetch(`http://127.0.0.1:${from}/topics/bench`, { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' } }).then((r) => r.text());
  /** One message: from just before the POST to its delivery (bounded at 5 s). */
  const once = async (text) => {
    const arrived = new Promise((resolve) => {
      waiting = { text, resolve };
      setTimeout(() => resolve(undefined), 5000);
    });
    const start = performance.now();
    await post(text);
    const end = await arrived;
    return end === undefined ? undefined : end - start;
  };
  // The subscriber's hub joins the channel asynchronously: warm up until one arrives.
  for (let i = 0; (await once(`warm-${i}`)) === undefined; i++) if (i > 20) throw new Error(`${name}: nothing arrives`);
  return { name, once };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const redisPort = await service(process.env.FW_REDIS_SERVER ?? 'redis-server', (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  const natsPort = await service(process.env.FW_NATS_SERVER ?? '/usr/sbin/nats-server', (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
  const pairs = [
    await pair('memory', []),
    await pair('redis', ['--redis', `redis://127.0.0.1:${redisPort}`]),
    await pair('nats', ['--nats', `nats://127.0.0.1:${natsPort}`]),
  ];
  const results = new Map(pairs.map((p) => [p.name, { p50: [], p99: [], lost: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of pairs) {
      const times = [];
      for (let i = 0; i < MESSAGES; i++) {
        const ms = await p.once(`r${round}-${i}`);
        if (ms === undefined) results.get(p.name).lost++;
        else times.push(ms);
      }
      times.sort((a, b) => a - b);
      const r = results.get(p.name);
      r.p50.push(percentile(times, 50));
      r.p99.push(percentile(times, 99));
      console.log(`round ${round + 1} ${p.name.padEnd(6)} p50 ${percentile(times, 50).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms`);
    }
  }
  console.log(`\nmedian of ${ROUNDS} rounds, ${MESSAGES} sequential publishes each (POST on hub B → framewire.v1 delivery on hub A; memory: one hub):`);
  const base = median(results.get('memory').p50);
  for (const [name, r] of results) {
    console.log(`${name.padEnd(6)} p50 ${median(r.p50).toFixed(2)} ms  p99 ${median(r.p99).toFixed(2)} ms  p50/memory ${(median(r.p50) / base).toFixed(2)}x  lost ${r.lost}`);
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
