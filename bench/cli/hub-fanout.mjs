#!/usr/bin/env node
// `framewire hub` fan-out beside `framewire broadcast` in the same run:
// one sender's messages to N subscribers of one topic. The hub frames each
// message once for all subscribers (server topics); broadcast loops
// `send` per client. Measured: server CPU per delivery (utime + stime of
// the server process from /proc) and wall time, interleaved rounds, median.
//
//   node bench/cli/hub-fanout.mjs [--subscribers 500] [--messages 200] [--size 128] [--rounds 5]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from '@framewire/node-adapter';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '500' },
    messages: { type: 'string', default: '200' },
    size: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '5' },
  },
});
const N = Number(values.subscribers);
const M = Number(values.messages);
const payload = 'x'.repeat(Number(values.size));
const ROUNDS = Number(values.rounds);
const bin = new URL('../../packages/cli/bin/framewire.mjs', import.meta.url).pathname;
const ticks = 100; // USER_HZ on Linux

function start(args) {
  const child = spawn(process.execPath, [bin, ...args, '--port', '0', '--quiet', '--no-deflate'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY: ${log}`)), 30_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const match = /127\.0\.0\.1:(\d+)\//.exec(log);
      if (/^READY$/m.test(log) && match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
  });
}

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

async function round(server, path) {
  const subscribers = await Promise.all(Array.from({ length: N }, () => connect(`ws://127.0.0.1:${server.port}${path}`, { perMessageDeflate: false })));
  const sender = await connect(`ws://127.0.0.1:${server.port}${path}`, { perMessageDeflate: false });
  let received = 0;
  const all = new Promise((resolve) => {
    for (const s of subscribers) s.on('message', () => { if (++received === N * M) resolve(); });
  });
  const cpu0 = cpuSeconds(server.child.pid);
  const t0 = performance.now();
  for (let i = 0; i < M; i++) if (!sender.send(payload)) await sender.drained();
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${received} of ${N * M} deliveries`)), 120_000));
  await Promise.race([all, timeout]);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.child.pid) - cpu0;
  for (const s of [...subscribers, sender]) s.terminate();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { deliveriesPerSecond: (N * M) / seconds, cpuMicrosPerDelivery: (cpu * 1e6) / (N * M) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hub = await start(['hub', '--history', '0', '--max-connections', String(N + 10)]);
const broadcast = await start(['broadcast']);
const results = { hub: [], broadcast: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, alternating which goes first.
    const order = r % 2 === 0 ? ['hub', 'broadcast'] : ['broadcast', 'hub'];
    for (const name of order) results[name].push(await round(name === 'hub' ? hub : broadcast, name === 'hub' ? '/topics/bench' : '/'));
  }
} finally {
  hub.child.kill('SIGTERM');
  broadcast.child.kill('SIGTERM');
}
const row = (name) => {
  const d = median(results[name].map((x) => x.deliveriesPerSecond));
  const c = median(results[name].map((x) => x.cpuMicrosPerDelivery));
  return { d, c };
};
const h = row('hub');
const b = row('broadcast');
console.log(`${N} subscribers, ${M} messages of ${payload.length} B, median of ${ROUNDS} interleaved rounds (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
console.log(`| server | deliveries/s | server CPU µs/delivery |`);
console.log(`|---|---|---|`);
console.log(`| framewire hub | ${Math.round(h.d).toLocaleString('en')} | ${h.c.toFixed(2)} |`);
console.log(`| framewire broadcast (send loop) | ${Math.round(b.d).toLocaleString('en')} | ${b.c.toFixed(2)} |`);
console.log(`hub/broadcast: ${(h.d / b.d).toFixed(2)}× deliveries/s, ${(b.c / h.c).toFixed(2)}× less CPU per delivery`);
