// bench/results/latest.md: targets first, then every table with medians and
// the min–max spread of the repetitions.
import { DEFLATE_CASES, ECHO_CASES } from './cases.mjs';
import { summarize } from './stats.mjs';
import { echoMedian, memoryMedian } from './targets.mjs';

/** Three significant digits with a k/M suffix: 1.23 M, 456 k, 78.9. */
export function compact(value) {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)} M`;
  if (abs >= 1e3) return `${(value / 1e3).toPrecision(3)} k`;
  return value.toPrecision(3);
}

const ratioText = (value) => (value === undefined ? '—' : `${value.toFixed(2)}×`);
const spread = (summary, format = compact) => (summary === undefined ? '—' : `${format(summary.min)}–${format(summary.max)}`);

function serverState(results, key) {
  return results.servers.find((server) => server.key === key);
}

/** Text shown instead of numbers for a server that did not run. */
function missing(server) {
  if (server.status === 'n/a') return `n/a (${server.reason})`;
  return `failed (${server.reason})`;
}

function targetsSection(results) {
  const lines = ['## Targets (framewire ÷ peer, medians)', '', '| area | target | measured | result |', '|---|---|---|---|'];
  for (const target of results.targets) {
    const sign = target.compare === 'le' ? '≤' : '≥';
    const measured = target.ratio === undefined ? `n/a (${target.why})` : `${ratioText(target.ratio)}${target.where ? ` (${target.where})` : ''}`;
    const mark = target.verdict === 'pass' ? '✅' : target.verdict === 'fail' ? '❌' : 'n/a';
    lines.push(`| ${target.group} | ${target.label} ${sign} ${target.threshold}× | ${measured} | ${mark} |`);
  }
  return lines.join('\n');
}

function echoTable(results, testCase) {
  const lines = [
    `### ${testCase.title}`,
    '',
    '| server | msgs/s | spread | server CPU µs/msg | spread | CPU/msg ÷ ws+bufferutil | msgs/s ÷ ws+bufferutil | server CPU | load-gen CPU |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const baseCpu = echoMedian(results, testCase.key, 'ws-bu', 'cpuUsPerMessage');
  const baseRate = echoMedian(results, testCase.key, 'ws-bu', 'messagesPerSecond');
  for (const server of results.servers) {
    if (server.status !== 'running') {
      lines.push(`| ${server.label} | ${missing(server)} | | | | | | | |`);
      continue;
    }
    const slot = results.echo[testCase.key]?.[server.key];
    if (slot === undefined) continue;
    const pick = (metric) => summarize(slot.reps.map((rep) => rep[metric]));
    const rate = pick('messagesPerSecond');
    const cpu = pick('cpuUsPerMessage');
    if (rate === undefined) {
      lines.push(`| ${server.label} | failed (${slot.errors[0] ?? 'no data'}) | | | | | | | |`);
      continue;
    }
    const serverCpu = pick('serverCpuPct');
    const loadgenCpu = pick('loadgenCpuPct');
    lines.push(
      `| ${server.label} | ${compact(rate.median)} | ${spread(rate)} | ${compact(cpu?.median)} | ${spread(cpu)} | ` +
        `${ratioText(baseCpu && cpu ? cpu.median / baseCpu : undefined)} | ${ratioText(baseRate ? rate.median / baseRate : undefined)} | ` +
        `${serverCpu ? `${serverCpu.median.toFixed(0)} %` : '—'} | ${loadgenCpu ? `${loadgenCpu.median.toFixed(0)} %` : '—'} |`,
    );
  }
  return lines.join('\n');
}

function memorySection(results) {
  const lines = [
    `## Memory per idle connection (${results.settings.idleConnections.toLocaleString('en-US')} connections, handshake done, then idle)`,
    '',
    '| server | KiB per connection | spread | ÷ ws | RSS before |',
    '|---|--:|--:|--:|--:|',
  ];
  const base = memoryMedian(results, 'ws') ?? memoryMedian(results, 'ws-bu');
  for (const server of results.servers) {
    if (server.status !== 'running') {
      lines.push(`| ${server.label} | ${missing(server)} | | | |`);
      continue;
    }
    const slot = results.memory[server.key];
    const kib = summarize((slot?.reps ?? []).map((rep) => rep.kibPerConnection));
    if (kib === undefined) {
      lines.push(`| ${server.label} | ${slot ? `failed (${slot.errors[0] ?? 'no data'})` : 'not run'} | | | |`);
      continue;
    }
    const baseline = summarize(slot.reps.map((rep) => rep.baselineKiB));
    const format = (value) => value.toFixed(1);
    lines.push(
      `| ${server.label} | ${format(kib.median)} | ${spread(kib, format)} | ${ratioText(base ? kib.median / base : undefined)} | ` +
        `${baseline ? `${(baseline.median / 1024).toFixed(0)} MiB` : '—'} |`,
    );
  }
  return lines.join('\n');
}

function deflateSection(results) {
  const [on, off] = DEFLATE_CASES;
  const lines = [
    '## permessage-deflate echo (16 KiB JSON-like text, 1 connection, 16 in flight)',
    '',
    'Client offers `permessage-deflate; client_no_context_takeover`: its own frames are compressed once, up front;',
    'the server keeps its compression context (context takeover) unless it says otherwise in "negotiated".',
    '',
    '| server | msgs/s, deflate | spread | CPU µs/msg, deflate | msgs/s ÷ ws+bufferutil | reply bytes/msg | msgs/s, off | CPU µs/msg, off | replies compressed | negotiated |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|---|',
  ];
  const base = echoMedian(results, on.key, 'ws-bu', 'messagesPerSecond');
  for (const server of results.servers) {
    if (server.deflate === 'n/a' || server.key === 'ws') continue;
    if (server.status !== 'running') {
      lines.push(`| ${server.label} | ${missing(server)} | | | | | | | | |`);
      continue;
    }
    const summary = (testCase, metric) => summarize((results.echo[testCase.key]?.[server.key]?.reps ?? []).map((rep) => rep[metric]));
    const offRate = summary(off, 'messagesPerSecond');
    const offCpu = summary(off, 'cpuUsPerMessage');
    if (server.deflate === 'no') {
      lines.push(`| ${server.label} | not supported | | | | | ${compact(offRate?.median)} | ${compact(offCpu?.median)} | — | — |`);
      continue;
    }
    const rate = summary(on, 'messagesPerSecond');
    const cpu = summary(on, 'cpuUsPerMessage');
    const wire = summary(on, 'wireBytesPerMessage');
    const probe = server.deflateProbe;
    const compressed = probe === undefined ? '?' : probe.ok ? (probe.compressed ? 'yes' : 'no (sent plain)') : `echo check failed`;
    const negotiated = probe?.extensions ? `\`${probe.extensions}\`` : '—';
    const errors = results.echo[on.key]?.[server.key]?.errors ?? [];
    const first = rate === undefined ? `failed (${errors[0] ?? 'no data'})` : compact(rate.median);
    lines.push(
      `| ${server.label} | ${first} | ${spread(rate)} | ${compact(cpu?.median)} | ${ratioText(base && rate ? rate.median / base : undefined)} | ` +
        `${wire ? wire.median.toFixed(0) : '—'} | ` +
        `${compact(offRate?.median)} | ${compact(offCpu?.median)} | ${compressed} | ${negotiated} |`,
    );
  }
  return lines.join('\n');
}

function codecSection(results) {
  const { codec } = results;
  const lines = ['## Codec micro-benchmark (packages/codec/bench/codec.bench.mjs)', ''];
  if (codec.status === 'absent') lines.push('n/a: the codec benchmark is not written yet.');
  else if (codec.status === 'skipped') lines.push('skipped (`--skip-codec`).');
  else {
    if (codec.status !== 'ok') lines.push(`**${codec.status}**${codec.stderr ? `: ${codec.stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`, '');
    const output = codec.output.trim();
    // Markdown tables go in as printed; anything else as preformatted text.
    if (/^\|.*\|$/m.test(output)) lines.push(output);
    else if (output) lines.push('```text', output, '```');
  }
  return lines.join('\n');
}

/** The whole report. */
export function renderMarkdown(results) {
  const m = results.machine;
  const s = results.settings;
  const header = [
    '# framewire benchmarks',
    '',
    `${results.date} · **${results.mode}** run (${s.reps} repetitions of ${s.durationMs} ms after ${s.warmupMs} ms warm-up; ` +
      `idle memory ${s.memoryReps} × ${s.idleConnections.toLocaleString('en-US')} connections) · took ${results.durationS} s`,
    '',
    `Machine: ${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, load average at start ${m.loadAverage}.`,
    `Peers: Node ${m.node}, ws ${m.ws} (bufferutil ${m.bufferutil}), Bun ${m.bun}, Deno ${m.deno}.`,
    '',
    'Medians of the repetitions; "spread" is min–max. Server CPU per message is user+sys time of the server',
    'process (all threads, /proc/<pid>/stat) during the window divided by messages echoed: steadier than',
    'rates on a shared machine. Ratios below 1× mean framewire uses less CPU/memory; for msgs/s above 1× is faster.',
    'Chart: [latest.svg](latest.svg). How to reproduce and what each number means: [../README.md](../README.md).',
  ];
  const sections = [
    header.join('\n'),
    targetsSection(results),
    ['## Echo over loopback (no compression; binary messages unless the case says text)', ...ECHO_CASES.map((testCase) => echoTable(results, testCase))].join('\n\n'),
    memorySection(results),
    deflateSection(results),
    codecSection(results),
  ];
  if (results.notes.length > 0) sections.push(['## Notes', '', ...results.notes.map((note) => `- ${note}`)].join('\n'));
  return `${sections.join('\n\n')}\n`;
}
