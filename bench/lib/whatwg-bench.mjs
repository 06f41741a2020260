// Paired rows: the same echo workload against a Node server in several
// shapes over one Session (bench/servers/whatwg-echo.mjs). Server CPU per
// message is the figure; every row runs once per round, rounds alternate
// the order, so drift hits all alike. Each row is compared with the row it
// names as its base (the Session doing the same work), and the stream row
// also with its floor (Node's own Web Streams, none of our code).
import { join } from 'node:path';
import { connect } from '@framewire/node-adapter';
import { cpuMs, processTree } from './procfs.mjs';
import { startChild, stopChild, waitForReady } from './children.mjs';
import { summarize } from './stats.mjs';

/**
 * The rows. `payload`: what the clients send (16 bytes, or 16 ASCII
 * characters). `base`: the row this one's ratio is taken against. `noWhatwg`:
 * the server process never loads the WHATWG module. `beside`: two more echo
 * servers in the same process (plain Sessions, or a WebSocket and a
 * WebSocketStream server), warmed with traffic before the measurement.
 */
export const ROWS = [
  { key: 'session-text', shape: 'session', payload: 'text', base: 'session-text', label: 'Session, text' },
  { key: 'websocket-text', shape: 'websocket', payload: 'text', base: 'session-text', label: 'WHATWG WebSocket, text' },
  { key: 'session', shape: 'session', payload: 'binary', base: 'session', label: 'Session, binary' },
  {
    key: 'session-arraybuffer',
    shape: 'session-arraybuffer',
    payload: 'binary',
    base: 'session',
    label: "Session, binary, binaryType 'arraybuffer' (a fresh ArrayBuffer per message, as the WebSocket must deliver)",
  },
  { key: 'websocket', shape: 'websocket', payload: 'binary', base: 'session', floor: 'session-arraybuffer', label: "WHATWG WebSocket, binary, binaryType 'arraybuffer'" },
  { key: 'session-blob', shape: 'session-blob', payload: 'binary', base: 'session', label: "floor: Session + new Blob([data]) per message (Node's Blob alone)" },
  {
    key: 'websocket-blob',
    shape: 'websocket-blob',
    payload: 'binary',
    base: 'session',
    floor: 'session-blob',
    label: "WHATWG WebSocket, binary, binaryType 'blob' (the default; echoes the Blob)",
  },
  { key: 'webstreams-floor', shape: 'webstreams-floor', payload: 'binary', base: 'session', label: 'floor: Session + ReadableStream.pipeTo(WritableStream), no WebSocketStream' },
  { key: 'stream', shape: 'stream', payload: 'binary', base: 'session', floor: 'webstreams-floor', label: 'WebSocketStream, binary (readable.pipeTo(writable))' },
  { key: 'session-alone', shape: 'session', payload: 'binary', base: 'session-alone', noWhatwg: true, beside: 'session', label: '(a) Session, binary; process never loads the WHATWG module; 2 plain Session servers beside' },
  { key: 'session-loaded', shape: 'session', payload: 'binary', base: 'session-alone', beside: 'session', label: '(a) Session, binary; WHATWG module loaded (unused); 2 plain Session servers beside' },
  { key: 'session-beside-whatwg', shape: 'session', payload: 'binary', base: 'session-alone', beside: 'whatwg', label: '(a) Session, binary; WHATWG module loaded, a WebSocket and a WebSocketStream server beside' },
];

const TEXT = 'sixteen chars ok';
const BYTES = new Uint8Array(16);

/** `connections` clients each send `messages` messages in windows of `window` and wait for every echo. */
async function echoLoad(port, payload, { connections, messages, window }) {
  const clients = await Promise.all(Array.from({ length: connections }, () => connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false })));
  return {
    run: () =>
      Promise.all(
        clients.map(async (session) => {
          const messagesIn = session[Symbol.asyncIterator]();
          for (let sent = 0; sent < messages; sent += window) {
            for (let i = 0; i < window; i++) session.send(payload);
            for (let i = 0; i < window; i++) await messagesIn.next();
          }
        }),
      ),
    close: () => {
      for (const session of clients) session.terminate();
    },
  };
}

async function runOnce(root, row, load) {
  const args = [join(root, 'bench/servers/whatwg-echo.mjs'), '--shape', row.shape];
  if (row.beside !== undefined) args.push('--beside', row.beside);
  if (row.noWhatwg === true) args.unshift('--import', join(root, 'bench/servers/no-whatwg.mjs'));
  const handle = startChild({ command: process.execPath, args, cwd: root });
  try {
    await waitForReady(handle, 10_000);
    const port = Number(/PORT (\d+)/.exec(handle.output.stdout)?.[1]);
    const beside = /BESIDE (\d+) (\d+)/.exec(handle.output.stdout);
    if (row.beside !== undefined && beside === null) throw new Error(`${row.key}: the server started no servers beside: ${handle.output.stderr}`);
    // Warm the servers beside with traffic of their own before the measured load (bounded: 4 × 2000 each).
    for (const besidePort of beside === null ? [] : [beside[1], beside[2]]) {
      const warm = await echoLoad(Number(besidePort), BYTES, { connections: 4, messages: 2000, window: 50 });
      await warm.run();
      warm.close();
    }
    const clients = await echoLoad(port, row.payload === 'text' ? TEXT : BYTES, load);
    const pids = processTree(handle.pid);
    const cpuBefore = cpuMs(pids);
    const started = performance.now();
    await clients.run();
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMs(pids) - cpuBefore;
    clients.close();
    const total = load.connections * load.messages;
    return { cpuMicrosPerMessage: (cpu * 1000) / total, messagesPerSecond: total / seconds };
  } finally {
    await stopChild(handle);
  }
}

/**
 * Runs every row `rounds` times (interleaved, the order reversed every other
 * round) and returns medians, ranges and each row's ratio to its base (and floor).
 * `only` restricts the run to those row keys (their bases and floors are
 * added); `load` and `rounds` override the sizes (tests use tiny ones).
 */
export async function runWhatwgBench({ root, quick = false, only, load: loadOverride, rounds: roundsOverride }) {
  const load = loadOverride ?? (quick ? { connections: 20, messages: 1000, window: 50 } : { connections: 50, messages: 4000, window: 100 });
  const rounds = roundsOverride ?? (quick ? 3 : 7);
  let rows = ROWS;
  if (only !== undefined) {
    const wanted = new Set(only.flatMap((key) => [key, ...ROWS.filter((r) => r.key === key).flatMap((r) => [r.base, r.floor ?? key])]));
    rows = ROWS.filter((row) => wanted.has(row.key));
  }
  const samples = Object.fromEntries(rows.map((row) => [row.key, { cpu: [], rate: [] }]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? rows : [...rows].reverse();
    for (const row of order) {
      const result = await runOnce(root, row, load);
      samples[row.key].cpu.push(result.cpuMicrosPerMessage);
      samples[row.key].rate.push(result.messagesPerSecond);
    }
  }
  const median = (key) => summarize(samples[key].cpu).median;
  return {
    load,
    rounds,
    rows: rows.map((row) => {
      const cpu = summarize(samples[row.key].cpu);
      const rate = summarize(samples[row.key].rate);
      // Per-round ratios too: each round's pair ran minutes apart at most, so their spread is the honest error bar.
      const paired = samples[row.key].cpu.map((value, i) => value / samples[row.base].cpu[i]);
      return {
        ...row,
        cpu,
        rate,
        ratio: cpu.median / median(row.base),
        pairedRatio: summarize(paired),
        floorRatio: row.floor === undefined ? undefined : cpu.median / median(row.floor),
      };
    }),
  };
}

/** The rows as a markdown table. */
export function whatwgMarkdown({ load, rounds, rows }) {
  const labels = Object.fromEntries(ROWS.map((row) => [row.key, row.label.split(' (')[0].split(';')[0]]));
  const lines = [
    `### WHATWG shapes over one Session (Node server, ${load.connections} connections × ${load.messages} × 16 B or 16 ASCII characters echoed, windows of ${load.window}, ${rounds} interleaved rounds)`,
    '',
    '| server shape | server CPU µs/msg (median, min–max) | msgs/s (median) | CPU vs base (ratio of medians; per-round ratios min–max) | base |',
    '|---|---|---|---|---|',
  ];
  for (const row of rows) {
    // A tiny run may read 0 CPU ticks for a base: no ratio then, not a crash.
    const ratioText = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
    const paired = row.key === row.base || row.pairedRatio === undefined ? '' : ` (${row.pairedRatio.min.toFixed(2)}–${row.pairedRatio.max.toFixed(2)})`;
    const floor = row.floorRatio === undefined ? '' : `; ${ratioText(row.floorRatio)} its floor`;
    lines.push(
      `| ${row.label} | ${row.cpu.median.toFixed(2)} (${row.cpu.min.toFixed(2)}–${row.cpu.max.toFixed(2)}) | ${Math.round(row.rate.median)} | ${ratioText(row.ratio)}${paired}${floor} | ${labels[row.base]} |`,
    );
  }
  return lines.join('\n');
}
