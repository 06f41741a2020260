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
  return [
    codec('decode vs ws (no bufferutil), every size', 'ge', 2, (rows) => codecRatio(rows, 'decode', 'ws', undefined)),
    codec('decode vs ws + bufferutil, 16 B and 1 KiB', 'ge', 1, (rows) => codecRatio(rows, 'decode', 'ws+bufferutil', [16, 1024])),
    codec('encode masked frames/s vs ws + bufferutil, every size', 'ge', 1, (rows) => codecRatio(rows, 'encode', 'ws+bufferutil', undefined, true)),
    // ws+bufferutil masks natively; so does the Node adapter once it finds
    // bufferutil. Sizes with a hooked row use it, the others pure TypeScript.
    codec('encode masked vs ws + bufferutil, every size, with the Node adapter hooks', 'ge', 1, (rows) =>
      codecRatio(asNodeAdapterRuns(rows), 'encode', 'ws+bufferutil', undefined, true),
    ),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'pipe16', '16 B pipelined', 0.4),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'conns100', '100 conns', 0.4),
    cpu('Node', 'fw-node', 'ws-bu', 'ws + bufferutil', 'pipe64k', '64 KiB pipelined', 1.0),
    mem('Node', 'fw-node', 'ws', 'ws', 0.8),
    {
      group: 'Node',
      label: 'compressed echo msgs/s vs ws + bufferutil (context takeover)',
      fw: 'fw-node',
      compare: 'ge',
      threshold: 1.5,
      measure: (r) => ratio(echoMedian(r, 'deflate-on', 'fw-node', RATE), echoMedian(r, 'deflate-on', 'ws-bu', RATE)),
    },
    cpu('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 'pipe16', '16 B pipelined', 4),
    cpu('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 'conns100', '100 conns', 4),
    cpu('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 'pipe64k', '64 KiB pipelined', 1.3),
    mem('Bun', 'fw-bun', 'bun-serve', 'Bun.serve', 2),
    cpu('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 'pipe16', '16 B pipelined', 0.5),
    cpu('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 'conns100', '100 conns', 0.8),
    cpu('Deno', 'fw-deno', 'deno-serve', 'Deno.serve', 'pipe64k', '64 KiB pipelined', 1.2),
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
