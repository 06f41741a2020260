// The issue's targets, each a ratio framewire ÷ peer of medians, judged
// against its threshold. A target whose figures are missing is n/a, never
// guessed.
import { summarize } from './stats.mjs';

/** Median of one metric of echo[caseKey][serverKey], or undefined. */
export function echoMedian(results, caseKey, serverKey, metric) {
  const reps = results.echo[caseKey]?.[serverKey]?.reps ?? [];
  return summarize(reps.map((rep) => rep[metric]))?.median;
}

/** Median idle memory per connection (KiB) of a server, or undefined. */
export function memoryMedian(results, serverKey) {
  const reps = results.memory[serverKey]?.reps ?? [];
  return summarize(reps.map((rep) => rep.kibPerConnection))?.median;
}

const CPU = 'cpuUsPerMessage';
const RATE = 'messagesPerSecond';

/** Target definitions: which figures, which direction, which threshold. */
function definitions() {
  const cpu = (group, fw, peer, peerLabel, caseKey, caseLabel, threshold) => ({
    group,
    label: `CPU/msg ${caseLabel} vs ${peerLabel}`,
    fw,
    compare: 'le',
    threshold,
    measure: (r) => ratio(echoMedian(r, caseKey, fw, CPU), echoMedian(r, caseKey, peer, CPU)),
  });
  const mem = (group, fw, peer, peerLabel, threshold) => ({
    group,
    label: `idle memory/conn vs ${peerLabel}`,
    fw,
    compare: 'le',
    threshold,
    measure: (r) => ratio(memoryMedian(r, fw), memoryMedian(r, peer)),
  });
  const codec = (label, compare, threshold, pick) => ({
    group: 'Codec',
    label,
    fw: 'codec',
    compare,
    threshold,
    measure: (r) => pick(r.codec.rows ?? []),
  });
  // The rows as the Node adapter runs: a size measured with its hooks
  // (bufferutil's mask, uninitialised buffers) takes that row, others stay pure.
  const asNodeAdapterRuns = (rows) => {
    const key = (row) => `${row.op} ${row.size} ${row.peer} ${row.masked}`;
    const hooked = rows.filter((row) => row.hooks === true);
    const covered = new Set(hooked.map(key));
    const plain = rows.filter((row) => row.hooks !== true && !covered.has(key(row)));
    return [...plain, ...hooked.map(({ hooks: _hooks, ...row }) => row)];
  };
  const codecRatio = (rows, op, peer, sizes, masked) => {
    const chosen = rows.filter(
      (row) =>
        row.op === op &&
        row.peer === peer &&
        (sizes === undefined || sizes.includes(row.size)) &&
        (masked === undefined || row.masked === masked) &&
        row.hooks !== true &&
        Number.isFinite(row.ratio),
    );
    // "At every size" means the worst size decides; say which one it was.
    if (chosen.length === 0) return undefined;
    const worst = chosen.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    return { value: worst.ratio, where: `worst at ${worst.size >= 1024 ? `${worst.size / 1024} KiB` : `${worst.size} B`}` };
  };
  const hookedRatio = (rows, op, size, masked) => {
    const row = rows.find((r) => r.op === op && r.size === size && r.peer === 'ws+bufferutil' && r.hooks === true && (masked === undefined || r.masked === masked));
    return row === undefined || !Number.isFinite(row.ratio) ? undefined : row.ratio;
  };
  const wireBytes = (r, fw, peer) =>
    ratio(echoMedian(r, 'deflate-on', fw, 'wireBytesPerMessage'), echoMedian(r, 'deflate-on', peer, 'wireBytesPerMessage'));
  // Issue 21's table. Node figures are compared with ws + bufferutil as the
  // Node adapter runs (it installs bufferutil's mask when present).
  return [
    codec('decode vs ws (no bufferutil), every size', 'ge', 2, (rows) => codecRatio(rows, 'decode', 'ws', undefined)),
    codec('decode vs ws + bufferutil, 16 B and 1 KiB', 'ge', 1, (rows) => codecRatio(rows, 'decode', 'ws+bufferutil', [16, 1024])),
    codec('decode 1 KiB vs ws + bufferutil, with the native mask hook', 'ge', 1.3, (rows) => hookedRatio(rows, 'decode', 1024)),
    codec('decode 16 KiB vs ws + bufferutil, with the Node adapter hooks', 'ge', 1.2, (rows) => hookedRatio(rows, 'decode', 16384)),
    codec('decode 64 KiB vs ws + bufferutil, with the Node adapter hooks', 'ge', 1.2, (rows) => hookedRatio(rows, 'decode', 65536)),
    codec('encode masked 64 KiB vs ws + bufferutil, with the Node adapter hooks', 'ge', 1.0, (rows) => hookedRatio(rows, 'encode', 65536, true)),
    codec('encode masked vs ws + bufferutil, every size, with the Node adapter hooks', 'ge', 1, (rows) =>
      codecRatio(asNodeAdapterRuns(rows), 'encode', 'ws+bufferutil', undefined, true),
    ),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'seq32', '32 B one in flight', 0.8),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'pipe16', '16 B pipelined', 0.4),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'conns100', '100 conns', 0.4),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'text16k', '16 KiB text', 0.9),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'pipe64k', '64 KiB pipelined', 0.9),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'pipe1m', '1 MiB', 0.9),
    mem('Node', 'fw-node', 'ws', 'ws', 0.8),
    {
      group: 'Node',
      label: 'compressed echo msgs/s vs ws + bufferutil (context takeover)',
      fw: 'fw-node',
      compare: 'ge',
      threshold: 1.5,
      measure: (r) => ratio(echoMedian(r, 'deflate-on', 'fw-node', RATE), echoMedian(r, 'deflate-on', 'ws-bu', RATE)),
    },
    {
      group: 'Node',
      label: 'compressed reply bytes/msg vs ws + bufferutil (equal size is ≤ 1.1)',
      fw: 'fw-node',
      compare: 'le',
      threshold: 1.1,
      measure: (r) => wireBytes(r, 'fw-node', 'ws-bu'),
    },
    {
      group: 'Node',
      label: 'compressed echo msgs/s at ws\'s level 6 vs ws + bufferutil (equal size)',
      fw: 'fw-node-l6',
      compare: 'ge',
      threshold: 1.5,
      measure: (r) => ratio(echoMedian(r, 'deflate-on', 'fw-node-l6', RATE), echoMedian(r, 'deflate-on', 'ws-bu', RATE)),
    },
    {
      group: 'Node',
      label: 'compressed reply bytes/msg at level 6 vs ws + bufferutil (equal size is ≤ 1.1)',
      fw: 'fw-node-l6',
      compare: 'le',
      threshold: 1.1,
      measure: (r) => wireBytes(r, 'fw-node-l6', 'ws-bu'),
    },
    {
      group: 'Bun',
      label: 'compressed reply bytes/msg vs framewire on Node, same settings (same bytes: ≤ 1.02)',
      fw: 'fw-bun',
      compare: 'le',
      threshold: 1.02,
      measure: (r) => wireBytes(r, 'fw-bun', 'fw-node'),
    },
    {
      group: 'Deno',
      label: 'compressed reply bytes/msg vs framewire on Node, same settings (same bytes: ≤ 1.02)',
      fw: 'fw-deno',
      compare: 'le',
      threshold: 1.02,
      measure: (r) => wireBytes(r, 'fw-deno', 'fw-node'),
    },
    cpu('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 'pipe16', '16 B pipelined', 4),
    cpu('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 'conns100', '100 conns', 4),
    cpu('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 'pipe64k', '64 KiB pipelined', 1.1),
    mem('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 2.5),
    cpu('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 'pipe16', '16 B pipelined', 0.5),
    cpu('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 'conns100', '100 conns', 0.8),
    cpu('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 'pipe64k', '64 KiB pipelined', 1.0),
    mem('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 0.5),
  ];
}

function ratio(fw, peer) {
  if (fw === undefined || peer === undefined || !(peer > 0)) return undefined;
  return fw / peer;
}

/**
 * @returns {{ group: string, label: string, compare: 'le'|'ge', threshold: number,
 *   ratio: number | undefined, verdict: 'pass'|'fail'|'n/a', why?: string }[]}
 */
export function evaluateTargets(results) {
  const status = new Map(results.servers.map((server) => [server.key, server]));
  return definitions().map((target) => {
    const measured = target.measure(results);
    const value = typeof measured === 'object' ? measured.value : measured;
    const where = typeof measured === 'object' ? measured.where : undefined;
    let why;
    if (value === undefined) {
      if (target.fw === 'codec') why = results.codec.status === 'absent' ? 'codec bench not written yet' : 'no ratios from codec bench';
      else {
        const server = status.get(target.fw);
        why = server === undefined ? 'not run' : server.status !== 'running' ? server.reason ?? server.status : 'no data';
      }
    }
    const verdict =
      value === undefined ? 'n/a' : (target.compare === 'le' ? value <= target.threshold : value >= target.threshold) ? 'pass' : 'fail';
    return { group: target.group, label: target.label, compare: target.compare, threshold: target.threshold, ratio: value, where, verdict, why };
  });
}
