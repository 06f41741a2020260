// `framewire serve` beside websocketd 0.4.1 in the same run, interleaved
// round by round, median of the rounds (part of `pnpm bench`).
//
// 1. Connections per second, per-connection `cat`: one client process keeps
//    8 connections in flight; each connects, sends a line, reads the echo,
//    closes and waits for the server's close. Same client for both servers,
//    and the same untimed warm-up first (300 connections; 100 with --quick):
//    a JIT-compiled server is measured warm, as it runs in service.
//    framewire runs four times: on Node (the default: programs start through
//    the spawn helper, posix_spawn), on Node with `--no-spawn-helper`
//    (node:child_process: libuv forks the whole server), with `--runtime bun`
//    and with `--runtime deno` (Deno's child_process spawns with
//    clone3(CLONE_VM|CLONE_VFORK)).
// 2. Lines per second delivered: 4 clients, each in its own process, must
//    each receive the same COUNT lines of `seq`. The client (line-client.mjs)
//    is a raw TCP reader that checks and counts text frames, the same for
//    both servers and cheap, so that the servers are what is measured. framewire runs ONE program
//    for all of them (`serve --shared`); websocketd, which has no shared
//    mode, runs one program per client (its only way to give 4 clients the
//    stream). Figure: 4 × COUNT lines / time from "go" to the last client done.
//
// 3. The spawn floor (spawn-floor.mjs): per-connection `cat` run by Node's,
//    Deno's and Bun's own spawn, no WebSocket, same 8 in flight. It is the most
//    a per-connection server on that runtime can reach, and explains row 1.
//
// Targets: connections/s ≥ 1.0× websocketd, lines/s ≥ 2× websocketd.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { createServer, connect as tcpConnect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK_TICKS, cpuMs, processTree } from '../lib/procfs.mjs';
import { summarize } from '../lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = 8;
const CLIENTS = 4;

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
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function serverCpuMs(pid) {
  const tree = processTree(pid);
  let reaped = 0;
  // Every process of the tree: `--runtime bun|deno` re-runs the CLI as a child of the
  // Node launcher, and the programs are that child's children, reaped by it.
  for (const member of tree) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // proc(5): cutime and cstime (fields 16, 17): children already waited for.
      reaped += ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
    } catch {
      // gone
    }
  }
  return reaped + cpuMs(tree);
}

/** `framewire-bun`/`framewire-deno` run the CLI with `--runtime bun|deno`; FW_CLI_BENCH_RUNTIME picks the runtime of plain `framewire`. */
function runtimeFlag(kind) {
  if (kind === 'framewire-child-process') return ['--no-spawn-helper'];
  if (kind === 'framewire-bun') return ['--runtime', 'bun'];
  if (kind === 'framewire-deno') return ['--runtime', 'deno'];
  return process.env.FW_CLI_BENCH_RUNTIME ? ['--runtime', process.env.FW_CLI_BENCH_RUNTIME] : [];
}

/** Start a server; resolves with its port and a stop function. */
async function startServer(root, kind, program, { shared = false } = {}) {
  const port = await freePort();
  const child =
    kind !== 'websocketd'
      ? spawn(process.execPath, [join(root, 'packages/cli/bin/framewire.mjs'), 'serve', ...runtimeFlag(kind), '--port', String(port), '--quiet', '--no-deflate', ...(shared ? ['--shared', '--client-queue', String(256 * 1024 * 1024)] : []), '--', ...program], { stdio: 'ignore' })
      : spawn('websocketd', ['--port', String(port), '--address', '127.0.0.1', '--loglevel', 'fatal', ...program], { stdio: 'ignore' });
  await waitListening(port);
  return {
    port,
    // Server-side CPU ms so far: the server, the programs it reaped (cutime/cstime) and those still running.
    cpuMs: () => serverCpuMs(child.pid),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** Connections per second against a per-connection `cat`, after `warmup` untimed ones. */
async function connectionRate(root, kind, total, warmup) {
  const { connect } = await import(join(root, 'packages/node-adapter/dist/index.js'));
  const server = await startServer(root, kind, ['cat']);
  try {
    const run = async (count) => {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          const ws = await connect(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false });
          const messages = ws[Symbol.asyncIterator]();
          ws.send('x');
          await messages.next();
          ws.close(1000);
          await ws.closed;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };
    // Every server gets the same warm-up (a JIT server is measured warm, as it runs in service).
    await run(warmup);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    const cpuBefore = server.cpuMs();
    await run(total);
    const wall = (performance.now() - started) / 1000;
    // Programs still being reaped count too: wait for them before reading the CPU.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { wall: total / wall, cpu: total / ((server.cpuMs() - cpuBefore) / 1000) };
  } finally {
    await server.stop();
  }
}

/** Bare spawns per second on `runtime` (node, deno or bun), see spawn-floor.mjs. */
function spawnFloor(root, runtime, total) {
  const script = join(here, 'spawn-floor.mjs');
  const [command, args] =
    runtime === 'bun'
      ? [join(root, 'node_modules/.bin/bun'), [script]]
      : runtime === 'deno'
        ? [join(root, 'node_modules/deno/deno'), ['run', '--allow-run', '--allow-env', script]]
        : [process.execPath, [script]];
  const result = spawnSync(command, [...args, String(total)], { encoding: 'utf8' });
  const rate = Number(result.stdout.trim());
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

/** Lines per second delivered to CLIENTS clients (see the module comment). */
async function lineRate(root, kind, count) {
  const shared = kind === 'framewire';
  const server = await startServer(root, kind, ['sh', '-c', `read go; seq 1 ${count}`], { shared });
  const clients = [];
  try {
    for (let i = 0; i < CLIENTS; i++) {
      // Shared: one client says "go" for all. Per connection: each starts its own program.
      const child = spawn(process.execPath, [join(here, 'line-client.mjs'), `ws://127.0.0.1:${server.port}/`, String(count), !shared || i === 0 ? '1' : '0'], {
        stdio: ['pipe', 'pipe', 'inherit'],
        cwd: root,
      });
      let out = '';
      const lines = (word) => new Promise((resolve) => {
        const check = () => (out.includes(word) ? resolve() : undefined);
        child.stdout.on('data', (chunk) => {
          out += chunk;
          check();
        });
        check();
      });
      clients.push({ child, ready: lines('ready'), done: lines('done') });
    }
    await Promise.all(clients.map((client) => client.ready));
    const cpuBefore = server.cpuMs();
    const started = performance.now();
    for (const client of clients) client.child.stdin.write('go\n');
    await Promise.all(clients.map((client) => client.done));
    const wall = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { wall: (CLIENTS * count) / wall, cpu: (CLIENTS * count) / ((server.cpuMs() - cpuBefore) / 1000) };
  } finally {
    for (const { child } of clients) if (child.exitCode === null) child.kill('SIGKILL');
    await server.stop();
  }
}

/**
 * Run both measurements, interleaved (framewire, websocketd, framewire, …).
 * Resolves with the figures and the two target verdicts; writes
 * bench/results/cli.md.
 */
export async function runCliBench({ root, quick, only }) {
  if (spawnSync('websocketd', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return { targets: [{ group: 'cli', label: 'framewire serve vs websocketd', verdict: 'n/a', why: 'websocketd is not installed', compare: 'ge', threshold: 1 }] };
  }
  const rounds = 5;
  // The machine may be shared: the report says how busy it was.
  const loadBefore = loadavg()[0];
  const connections = quick ? 150 : 500;
  const warmup = quick ? 100 : 300;
  const lines = quick ? 50_000 : 200_000;
  const empty = () => ({ connections: [], connectionsCpu: [], lines: [], linesCpu: [] });
  const figures = { framewire: empty(), websocketd: empty(), 'framewire-child-process': empty(), 'framewire-bun': empty(), 'framewire-deno': empty() };
  const floors = { node: [], deno: [], bun: [] };
  for (let round = 0; round < rounds; round++) {
    for (const runtime of only === 'lines' ? [] : ['node', 'deno', 'bun']) {
      const rate = spawnFloor(root, runtime, connections);
      if (rate !== undefined) floors[runtime].push(rate);
    }
    for (const kind of round % 2 === 0 ? ['framewire', 'websocketd'] : ['websocketd', 'framewire']) {
      if (only !== 'lines') {
        const conn = await connectionRate(root, kind, connections, warmup);
        figures[kind].connections.push(conn.wall);
        figures[kind].connectionsCpu.push(conn.cpu);
      }
      if (only !== 'connections') {
        const line = await lineRate(root, kind, lines);
        figures[kind].lines.push(line.wall);
        figures[kind].linesCpu.push(line.cpu);
      }
    }
    if (only === 'lines') continue;
    // The same CLI on Node without its spawn helper, on Bun and on Deno (connection rate only).
    const others = ['framewire-child-process', 'framewire-bun', 'framewire-deno'];
    for (const kind of round % 2 === 0 ? others : others.toReversed()) {
      const conn = await connectionRate(root, kind, connections, warmup);
      figures[kind].connections.push(conn.wall);
      figures[kind].connectionsCpu.push(conn.cpu);
    }
  }
  const median = (values) => summarize(values)?.median;
  if (only !== undefined) {
    // A partial run (while working on one row): medians only, no report written.
    const medians = Object.fromEntries(Object.entries(figures).map(([kind, f]) => [kind, Object.fromEntries(Object.entries(f).map(([key, v]) => [key, median(v)]))]));
    return { figures: medians, floors: Object.fromEntries(Object.entries(floors).map(([r, v]) => [r, median(v)])), targets: [] };
  }
  const connRatio = median(figures.framewire.connections) / median(figures.websocketd.connections);
  const lineRatio = median(figures.framewire.lines) / median(figures.websocketd.lines);
  const targets = [
    { group: 'cli', label: 'serve connections/s (per-connection cat) vs websocketd', compare: 'ge', threshold: 1, ratio: connRatio, verdict: connRatio >= 1 ? 'pass' : 'fail' },
    { group: 'cli', label: `lines/s to ${CLIENTS} clients (--shared vs websocketd per connection)`, compare: 'ge', threshold: 2, ratio: lineRatio, verdict: lineRatio >= 2 ? 'pass' : 'fail' },
  ];
  const row = (name, key, unit, kind = 'framewire') => {
    const f = summarize(figures[kind][key]);
    const w = summarize(figures.websocketd[key]);
    const fmt = (s) => `${Math.round(s.median).toLocaleString('en')} (${Math.round(s.min).toLocaleString('en')}–${Math.round(s.max).toLocaleString('en')})`;
    return `| ${name} | ${fmt(f)} ${unit} | ${fmt(w)} ${unit} | ${(f.median / w.median).toFixed(2)}× |`;
  };
  const report = [
    '# framewire serve vs websocketd 0.4.1',
    '',
    `${rounds} interleaved rounds, median (min–max); ${quick ? 'quick' : 'full'} run: ${connections} connections after ${warmup} untimed ones (every server), ${lines.toLocaleString('en')} lines per client per round.`,
    `Method: bench/cli/cli-bench.mjs (module comment). Run ${new Date().toISOString().slice(0, 16)}Z, Node ${process.versions.node}; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (${availableParallelism()} cores).`,
    '',
    '| measure | framewire | websocketd | ratio |',
    '|---|---|---|---|',
    row('connections/s, per-connection `cat` (8 in flight)', 'connections', 'conn/s'),
    row('connections per server CPU-second (server + its programs)', 'connectionsCpu', 'conn/CPU-s'),
    row('connections/s, per-connection `cat`, framewire `--no-spawn-helper` (node:child_process)', 'connections', 'conn/s', 'framewire-child-process'),
    row('connections per server CPU-second, framewire `--no-spawn-helper`', 'connectionsCpu', 'conn/CPU-s', 'framewire-child-process'),
    row('connections/s, per-connection `cat`, framewire `--runtime bun`', 'connections', 'conn/s', 'framewire-bun'),
    row('connections per server CPU-second, framewire `--runtime bun`', 'connectionsCpu', 'conn/CPU-s', 'framewire-bun'),
    row('connections/s, per-connection `cat`, framewire `--runtime deno`', 'connections', 'conn/s', 'framewire-deno'),
    row('connections per server CPU-second, framewire `--runtime deno`', 'connectionsCpu', 'conn/CPU-s', 'framewire-deno'),
    row(`lines/s delivered to ${CLIENTS} clients (framewire: one --shared program; websocketd: one program per client)`, 'lines', 'lines/s'),
    row('lines delivered per server CPU-second (server + its programs)', 'linesCpu', 'lines/CPU-s'),
    ...floorRows(floors, median(figures.websocketd.connections)),
    '',
    'The wall-clock rows include the clients, which share the 2 cores with the server; the CPU-second rows count only',
    'the server side (the server process, its running programs and the programs it reaped: /proc utime+stime+cutime+cstime).',
    '',
  ].join('\n');
  writeFileSync(join(root, 'bench/results/cli.md'), report);
  return { figures, floors, targets, report };
}

/** Spawn-floor rows: no WebSocket, the runtime's own spawn, against websocketd's connection rate. */
function floorRows(floors, websocketdRate) {
  return Object.entries(floors)
    .filter(([, rates]) => rates.length > 0)
    .map(([runtime, rates]) => {
      const s = summarize(rates);
      const fmt = (value) => Math.round(value).toLocaleString('en');
      const how = { bun: 'Bun (Bun.spawn)', deno: 'Deno (node:child_process, vfork)', node: 'Node (child_process)' }[runtime];
      return `| floor: bare \`cat\` spawns/s on ${how}, no WebSocket (8 in flight) | ${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)}) spawns/s | ${fmt(websocketdRate)} conn/s | ${(s.median / websocketdRate).toFixed(2)}× |`;
    });
}

// Alone: node bench/cli/cli-bench.mjs [--quick]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(here, '..', '..');
  // --only connections|lines: one row group, medians printed, bench/results/cli.md left alone.
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];
  const result = await runCliBench({ root, quick: process.argv.includes('--quick'), only });
  console.log(result.report ?? JSON.stringify(only !== undefined ? { figures: result.figures, floors: result.floors } : result.targets, null, 1));
  for (const target of result.targets) console.log(`${target.verdict === 'pass' ? '✅' : '❌'} ${target.label} ≥ ${target.threshold}×: ${target.ratio?.toFixed(2) ?? target.why}`);
}
