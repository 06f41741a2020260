// Paired rows: the same echo workload against a Node server in three shapes
// over one Session (bench/servers/whatwg-echo.mjs): the Session API, the
// WHATWG WebSocket wrapper and WebSocketStream. Server CPU per message is
// the figure; shapes alternate within each round so drift hits all alike.
import { join } from 'node:path';
import { connect } from '@framewire/node-adapter';
import { cpuMs, processTree } from './procfs.mjs';
import { startChild, stopChild, waitForReady } from './children.mjs';
import { summarize } from './stats.mjs';

export const SHAPES = [
  { key: 'session', label: 'Session (on message → send)' },
  { key: 'session-arraybuffer', label: "Session, binaryType 'arraybuffer' (the data type the WebSocket must deliver)" },
  { key: 'websocket', label: 'WHATWG WebSocket (toWebSocket)' },
  { key: 'stream', label: 'WebSocketStream (readable.pipeTo(writable))' },
];

/** One run: `connections` clients, each sending `messages` 16-byte binary messages in windows of `window`, all echoed. */
async function runOnce(root, shape, { connections, messages, window }) {
  const handle = startChild({ command: process.execPath, args: [join(root, 'bench/servers/whatwg-echo.mjs'), '--shape', shape], cwd: root });
  try {
    await waitForReady(handle, 10_000);
    const port = Number(/PORT (\d+)/.exec(handle.output.stdout)?.[1]);
    const clients = await Promise.all(Array.from({ length: connections }, () => connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false })));
    const pids = processTree(handle.pid);
    const payload = new Uint8Array(16);
    const cpuBefore = cpuMs(pids);
    const started = performance.now();
    await Promise.all(
      clients.map(async (session) => {
        const messagesIn = session[Symbol.asyncIterator]();
        for (let sent = 0; sent < messages; sent += window) {
          for (let i = 0; i < window; i++) session.send(payload);
          for (let i = 0; i < window; i++) await messagesIn.next();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMs(pids) - cpuBefore;
    for (const session of clients) session.terminate();
    const total = connections * messages;
    return { cpuMicrosPerMessage: (cpu * 1000) / total, messagesPerSecond: total / seconds };
  } finally {
    await stopChild(handle);
  }
}

/**
 * Runs every shape `rounds` times (interleaved) and returns medians and the
 * ratio of each shape's server CPU per message to the Session's.
 */
export async function runWhatwgBench({ root, quick = false }) {
  const load = quick ? { connections: 20, messages: 1000, window: 50 } : { connections: 50, messages: 4000, window: 100 };
  const rounds = quick ? 3 : 7;
  const samples = Object.fromEntries(SHAPES.map((s) => [s.key, { cpu: [], rate: [] }]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? SHAPES : [...SHAPES].reverse();
    for (const shape of order) {
      const result = await runOnce(root, shape.key, load);
      samples[shape.key].cpu.push(result.cpuMicrosPerMessage);
      samples[shape.key].rate.push(result.messagesPerSecond);
    }
  }
  const base = summarize(samples.session.cpu).median;
  return {
    load,
    rounds,
    rows: SHAPES.map((shape) => {
      const cpu = summarize(samples[shape.key].cpu);
      const rate = summarize(samples[shape.key].rate);
      return { ...shape, cpu, rate, ratio: cpu.median / base };
    }),
  };
}

/** The rows as a markdown table. */
export function whatwgMarkdown({ load, rounds, rows }) {
  const lines = [
    `### WHATWG shapes over one Session (Node server, ${load.connections} connections × ${load.messages} × 16 B echoed, windows of ${load.window}, ${rounds} rounds)`,
    '',
    '| server shape | server CPU µs/msg (median, min–max) | msgs/s (median) | CPU vs Session |',
    '|---|---|---|---|',
  ];
  for (const row of rows) {
    lines.push(`| ${row.label} | ${row.cpu.median.toFixed(2)} (${row.cpu.min.toFixed(2)}–${row.cpu.max.toFixed(2)}) | ${Math.round(row.rate.median)} | ${row.ratio.toFixed(2)}× |`);
  }
  return lines.join('\n');
}
