// The fan-out benchmark: one publish to N subscribers in one server process,
// framewire's `server.publish` beside a `ws` loop (Node) and Bun's native
// `server.publish` (Bun), all up at once per scale and measured in
// interleaved rounds. Subscribers live in separate load-generator processes
// (one per server: each holds N sockets) that count whole messages; a round
// ends when all N × count messages arrived. Figures: deliveries per second,
// server CPU per delivery (/proc), and resident memory per subscription.
import { join } from 'node:path';
import WebSocket from 'ws';
import { startChild, stopChild, waitForReady } from './children.mjs';
import { LoadGenerator } from './loadgen-driver.mjs';
import { cpuMs, processTree } from './procfs.mjs';
import { runtimeBinaries } from './servers.mjs';
import { summarize } from './stats.mjs';
import { createServer } from 'node:net';

/** Payload of every published message: small, as chat and tickers send. */
export const FANOUT_SIZE = 128;

/**
 * Publishes per event-loop turn: 1 (a lone publish, e.g. from a timer) and
 * 16 (a burst, e.g. a busy chat room: several publishes before the loop
 * turns, which framewire writes to each socket in one call).
 */
export const FANOUT_BURSTS = [1, 16];

/** Run lengths. Deliveries per round ≈ N × count; every round is bounded by a timeout. */
export const FANOUT_MODES = {
  quick: { scales: [1000, 10_000], reps: 5, deliveries: 200_000, memorySubscriptions: 100_000 },
  full: { scales: [1000, 10_000], reps: 7, deliveries: 1_000_000, memorySubscriptions: 200_000 },
};

/** The compressed case: JSON-like text, to deflate subscribers, at one scale. */
export const FANOUT_DEFLATE_CASE = { subscribers: 1000, size: 2048, deliveries: 20_000 };

/** The servers of the compressed fan-out table: compress once per publish, per subscriber, and ws. */
export function fanoutDeflateCatalogue(root) {
  const script = (name) => join(root, 'bench', 'servers', name);
  const node = process.execPath;
  return [
    { key: 'fw-node-shared', label: 'framewire · Node · compress once (server_no_context_takeover)', runtime: 'node', command: node, args: [script('fanout-fw.mjs')], env: { FANOUT_DEFLATE: 'shared' } },
    { key: 'fw-node-own', label: 'framewire · Node · per-subscriber deflate (context takeover)', runtime: 'node', command: node, args: [script('fanout-fw.mjs')], env: { FANOUT_DEFLATE: 'own' } },
    { key: 'ws-loop-deflate', label: 'ws · loop, per-socket deflate', runtime: 'node', command: node, args: [script('fanout-ws.mjs')], env: { FANOUT_DEFLATE: 'own' } },
  ];
}

/**
 * Compressed fan-out: every server up at once, interleaved rounds.
 * @returns {Promise<{ case: typeof FANOUT_DEFLATE_CASE, count: number, servers: Record<string, any> }>}
 */
async function runDeflateFanout({ root, reps, log, only }) {
  const { subscribers, size, deliveries } = FANOUT_DEFLATE_CASE;
  const count = Math.max(2, Math.round(deliveries / subscribers));
  const out = { case: FANOUT_DEFLATE_CASE, count, servers: {} };
  log(`bench: compressed fan-out to ${subscribers} subscribers, ${count} publishes of ${size} B text per round`);
  const running = [];
  for (const def of fanoutDeflateCatalogue(root).filter((d) => only === undefined || only.includes(d.key))) {
    const server = await startServer(root, def, subscribers);
    out.servers[def.key] = { label: def.label, reps: [], errors: [] };
    if ('error' in server) out.servers[def.key].errors.push(server.error);
    else running.push(server);
  }
  try {
    for (const server of running) await round(server, subscribers, Math.max(2, Math.ceil(count / 4)), 1, size, true);
    for (let rep = 0; rep < reps; rep++) {
      for (const server of running) {
        const slot = out.servers[server.def.key];
        try {
          const result = await round(server, subscribers, count, 1, size, true);
          if ('error' in result) slot.errors.push(result.error);
          else slot.reps.push(result);
        } catch (error) {
          slot.errors.push(error.message);
        }
      }
    }
  } finally {
    for (const server of running) {
      server.control.close();
      await server.loadgen.stop();
      await stopChild(server.handle);
    }
  }
  return out;
}

/** The servers of the fan-out table. */
export function fanoutCatalogue(root) {
  const { bun } = runtimeBinaries(root);
  const script = (name) => join(root, 'bench', 'servers', name);
  const node = process.execPath;
  return [
    { key: 'fw-node', label: 'framewire · Node · server.publish', runtime: 'node', command: node, args: ['--expose-gc', ...(process.env.FANOUT_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/x/prof'] : []), script('fanout-fw.mjs')] },
    { key: 'ws-loop', label: 'ws · loop over subscribers', runtime: 'node', command: node, args: ['--expose-gc', script('fanout-ws.mjs')] },
    { key: 'node-floor', label: 'floor · Node · socket.write of one shared Buffer, no WebSocket library', runtime: 'node', command: node, args: ['--expose-gc', script('fanout-floor.mjs')] },
    { key: 'fw-bun', label: 'framewire · Bun · server.publish', runtime: 'bun', command: bun, args: [script('fanout-fw.mjs')] },
    { key: 'bun-native', label: 'Bun.serve · native server.publish', runtime: 'bun', command: bun, args: [script('fanout-bun.mjs')] },
  ];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The control connection of a fan-out server: one command at a time, JSON answers. */
async function openControl(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/control`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ask(command, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${command.op} within ${timeoutMs} ms`)), timeoutMs);
        ws.once('message', (data) => {
          clearTimeout(timer);
          resolve(JSON.parse(String(data)));
        });
        ws.send(JSON.stringify(command));
      });
    },
    close: () => ws.terminate(),
  };
}

/** Starts one server with N subscribers; `{ error }` when it cannot run. */
async function startServer(root, def, subscribers) {
  if (def.command === undefined) return { error: `${def.runtime} binary not found` };
  const port = await freePort();
  const handle = startChild({ command: def.command, args: [...def.args, '--port', String(port)], env: { ...process.env, ...def.env }, cwd: root });
  try {
    await waitForReady(handle, 10_000);
    const loadgen = await LoadGenerator.start();
    const setId = loadgen.command('subscribe', { port, connections: subscribers, deflate: def.env?.FANOUT_DEFLATE !== undefined });
    await loadgen.expect(setId, 'ready', 120_000);
    const control = await openControl(port);
    return { def, handle, port, loadgen, setId, control };
  } catch (error) {
    await stopChild(handle, 500);
    return { error: `${error.message} ${handle.output.stderr.slice(-300)}`.trim() };
  }
}

/** One round: `count` publishes, until every subscriber has every message. */
async function round(server, subscribers, count, burst, size = FANOUT_SIZE, text = false) {
  const target = subscribers * count;
  const timeoutMs = 60_000;
  const countId = server.loadgen.command('count', { of: server.setId, target, timeoutMs });
  const counted = server.loadgen.expect(countId, 'done', timeoutMs + 5000);
  const pids = processTree(server.handle.pid);
  const loadgenPids = processTree(server.loadgen.handle.pid);
  const cpuBefore = cpuMs(pids);
  const loadgenBefore = cpuMs(loadgenPids);
  const started = performance.now();
  const published = server.control.ask({ op: 'publish', count, size, burst, text }, timeoutMs);
  const { result } = await counted;
  const elapsedMs = performance.now() - started;
  const serverCpuMs = cpuMs(pids) - cpuBefore;
  const loadgenCpuMs = cpuMs(loadgenPids) - loadgenBefore;
  await published;
  if (!result.complete) return { error: `${result.received} of ${target} deliveries within ${timeoutMs} ms` };
  return {
    deliveriesPerSecond: target / (elapsedMs / 1000),
    cpuUsPerDelivery: (serverCpuMs * 1000) / target,
    serverCpuPct: (serverCpuMs / elapsedMs) * 100,
    // The subscribers' process: well under 100% means it read as fast as the server wrote.
    loadgenCpuPct: (loadgenCpuMs / elapsedMs) * 100,
  };
}

/**
 * The whole fan-out benchmark.
 * @param {{ root: string, quick: boolean, log: (line: string) => void, only?: string[], scales?: number[] }} opts
 */
export async function runFanout({ root, quick, log, only, scales }) {
  const mode = { ...FANOUT_MODES[quick ? 'quick' : 'full'], ...(scales !== undefined ? { scales } : {}) };
  const catalogue = fanoutCatalogue(root).filter((def) => only === undefined || only.includes(def.key));
  const results = { size: FANOUT_SIZE, mode, scales: {} };
  for (const subscribers of mode.scales) {
    const count = Math.max(FANOUT_BURSTS.at(-1), Math.round(mode.deliveries / subscribers));
    const scale = { count, bursts: {}, memory: {}, errors: {} };
    results.scales[subscribers] = scale;
    log(`bench: fan-out to ${subscribers} subscribers, ${count} publishes per round`);
    const running = [];
    for (const def of catalogue) {
      const server = await startServer(root, def, subscribers);
      scale.errors[def.key] = [];
      for (const burst of FANOUT_BURSTS) {
        (scale.bursts[burst] ??= {})[def.key] = { label: def.label, runtime: def.runtime, reps: [], errors: [] };
      }
      if ('error' in server) {
        scale.errors[def.key].push(server.error);
        log(`bench: fan-out ${def.label}: n/a (${server.error})`);
      } else running.push(server);
    }
    try {
      // Warm-up round (JIT, socket buffers), then interleaved measured rounds.
      for (const server of running) await round(server, subscribers, Math.max(16, Math.ceil(count / 4)), 1);
      for (let rep = 0; rep < mode.reps; rep++) {
        for (const burst of FANOUT_BURSTS) {
          for (const server of running) {
            const slot = scale.bursts[burst][server.def.key];
            try {
              const result = await round(server, subscribers, count, burst);
              if ('error' in result) slot.errors.push(result.error);
              else slot.reps.push(result);
            } catch (error) {
              slot.errors.push(error.message);
            }
          }
        }
      }
      for (const server of running) {
        const topics = Math.max(1, Math.round(mode.memorySubscriptions / subscribers));
        try {
          scale.memory[server.def.key] = await server.control.ask({ op: 'memory', topics }, 120_000);
        } catch (error) {
          scale.errors[server.def.key].push(`memory: ${error.message}`);
        }
      }
    } finally {
      for (const server of running) {
        server.control.close();
        await server.loadgen.stop();
        await stopChild(server.handle);
      }
    }
  }
  results.deflate = await runDeflateFanout({ root, reps: mode.reps, log, only });
  results.targets = fanoutTargets(results);
  return results;
}

/** Median of one metric of one server at one scale and burst. */
function median(results, subscribers, burst, key, metric) {
  return summarize(results.scales[subscribers]?.bursts[burst]?.[key]?.reps.map((rep) => rep[metric]) ?? [])?.median;
}

/**
 * The issue's targets at each scale and burst: Node ≥ 3× the ws loop, Bun ≥
 * 0.5× Bun's native publish, in deliveries per second; and the same ratios
 * of CPU per delivery (peer ÷ framewire, so higher is better for both).
 */
export function fanoutTargets(results) {
  const targets = [];
  for (const subscribers of Object.keys(results.scales)) {
    for (const burst of FANOUT_BURSTS) {
      for (const [fw, peer, threshold, label] of [
        ['fw-node', 'ws-loop', 3, 'ws loop'],
        ['fw-bun', 'bun-native', 0.5, 'Bun native publish'],
      ]) {
        for (const [metric, name, invert] of [
          ['deliveriesPerSecond', 'deliveries/s', false],
          ['cpuUsPerDelivery', 'CPU efficiency', true],
        ]) {
          const a = median(results, subscribers, burst, fw, metric);
          const b = median(results, subscribers, burst, peer, metric);
          const ratio = a === undefined || b === undefined ? undefined : invert ? b / a : a / b;
          targets.push({
            group: 'Fan-out',
            label: `${name} · ${Number(subscribers).toLocaleString('en-US')} subscribers · ${burst} per turn vs ${label}`,
            compare: 'ge',
            threshold,
            ratio,
            verdict: ratio === undefined ? 'n/a' : ratio >= threshold ? 'pass' : 'fail',
            why: ratio === undefined ? 'a row did not run' : undefined,
          });
        }
      }
    }
  }
  return targets;
}

const fmt = (value, digits = 0) => (value === undefined ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** The fan-out section of the report. */
export function renderFanoutMarkdown(results) {
  const lines = ['## Fan-out: one publish to N subscribers, one process', ''];
  lines.push(
    `${results.size}-byte binary messages to the topic every subscriber joined, 1 or 16 publishes per event-loop turn; a round ends when every subscriber (raw-socket clients in a separate process per server) has every message. Medians of ${results.mode.reps} interleaved rounds (min–max); CPU is the server process's, from /proc. Memory: JS-heap and resident-memory growth when every subscriber joins more topics, per subscription (after a full collection; RSS also counts native memory, as Bun's own topics use, and moves in pages). CPU efficiency = peer's CPU per delivery ÷ framewire's.`,
    '',
  );
  for (const [subscribers, scale] of Object.entries(results.scales)) {
    lines.push(`### ${Number(subscribers).toLocaleString('en-US')} subscribers · ${scale.count} publishes per round`, '');
    lines.push('| server | per turn | deliveries/s | CPU µs/delivery | server CPU % | subscribers\' CPU % | heap B/subscription | RSS B/subscription |', '|---|---|---|---|---|---|---|---|');
    for (const [burst, rows] of Object.entries(scale.bursts)) {
      for (const [key, slot] of Object.entries(rows)) {
        const errors = [...(scale.errors[key] ?? []), ...slot.errors];
        const cell = (values, digits) => {
          const s = summarize(values);
          return s === undefined ? `n/a${errors.length > 0 ? ` (${errors[0]})` : ''}` : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
        };
        const m = scale.memory[key];
        const memory = m === undefined ? 'n/a | n/a' : `${fmt(m.heapBytesPerSubscription, 0)} | ${fmt(m.rssBytesPerSubscription, 0)}`;
        lines.push(
          `| ${slot.label} \`${key}\` | ${burst} | ${cell(slot.reps.map((r) => r.deliveriesPerSecond), 0)} | ${cell(slot.reps.map((r) => r.cpuUsPerDelivery), 3)} | ${cell(slot.reps.map((r) => r.serverCpuPct), 0)} | ${cell(slot.reps.map((r) => r.loadgenCpuPct), 0)} | ${memory} |`,
        );
      }
    }
    lines.push('');
  }
  const deflate = results.deflate;
  if (deflate !== undefined && Object.keys(deflate.servers).length > 0) {
    lines.push(`### permessage-deflate · ${deflate.case.subscribers.toLocaleString('en-US')} deflate subscribers · ${deflate.count} publishes of ${deflate.case.size} B JSON-like text per round`, '');
    lines.push('| server | deliveries/s | CPU µs/delivery | server CPU % |', '|---|---|---|---|');
    for (const [key, slot] of Object.entries(deflate.servers)) {
      const cell = (values, digits) => {
        const s = summarize(values);
        return s === undefined ? `n/a${slot.errors.length > 0 ? ` (${slot.errors[0]})` : ''}` : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
      };
      lines.push(`| ${slot.label} \`${key}\` | ${cell(slot.reps.map((r) => r.deliveriesPerSecond), 0)} | ${cell(slot.reps.map((r) => r.cpuUsPerDelivery), 3)} | ${cell(slot.reps.map((r) => r.serverCpuPct), 0)} |`);
    }
    lines.push('');
  }
  // How far each Node row sits above the floor (N socket.write calls, no WebSocket library).
  const floorRows = [];
  for (const subscribers of Object.keys(results.scales)) {
    for (const burst of FANOUT_BURSTS) {
      const floor = median(results, subscribers, burst, 'node-floor', 'cpuUsPerDelivery');
      if (floor === undefined) continue;
      const over = (key) => {
        const value = median(results, subscribers, burst, key, 'cpuUsPerDelivery');
        return value === undefined ? 'n/a' : `${(value / floor).toFixed(2)}×`;
      };
      floorRows.push(`| ${Number(subscribers).toLocaleString('en-US')} · ${burst} per turn | ${fmt(floor, 3)} | ${over('fw-node')} | ${over('ws-loop')} |`);
    }
  }
  if (floorRows.length > 0) {
    lines.push('| Node CPU per delivery against the floor | floor µs | framewire ÷ floor | ws loop ÷ floor |', '|---|---|---|---|', ...floorRows, '');
  }
  lines.push('| target | ratio | verdict |', '|---|---|---|');
  for (const target of results.targets) {
    const verdict = target.verdict === 'pass' ? '✅' : target.verdict === 'fail' ? '❌' : 'n/a';
    lines.push(`| ${target.label} ≥ ${target.threshold}× | ${target.ratio === undefined ? 'n/a' : `${target.ratio.toFixed(2)}×`} | ${verdict} |`);
  }
  lines.push('');
  return lines.join('\n');
}
