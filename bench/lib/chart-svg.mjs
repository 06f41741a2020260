// bench/results/latest.svg, drawn by hand: (1) every target as framewire ÷
// peer on a log axis with its threshold marked, green when met, red when not,
// grey when not measured; (2) every server's CPU per message and idle memory
// relative to ws + bufferutil / ws, so the peers' spread is visible too.
import { ECHO_CASES } from './cases.mjs';

/** Short panel titles of the echo cases. */
const CHART_TITLES = {
  seq32: 'sequential 32 B',
  pipe16: '64 in flight, 16 B',
  pipe64k: '64 in flight, 64 KiB',
  conns100: '100 conns, 16 B',
  pipe1m: '4 in flight, 1 MiB',
  text16k: '16 in flight, 16 KiB text',
};
import { echoMedian, memoryMedian } from './targets.mjs';

const WIDTH = 920;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const GREEN = '#2e9d4f';
const RED = '#d2453b';
const GREY = '#9aa0a6';

const escapeXml = (text) => String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

/** Maps a ratio onto [x, x + width] on a log axis from `lo` to `hi`. */
function logScale(lo, hi, x, width) {
  const a = Math.log10(lo);
  const span = Math.log10(hi) - a;
  return (value) => x + (Math.min(Math.max((Math.log10(value) - a) / span, 0), 1)) * width;
}

function axis(parts, scale, top, bottom, ticks) {
  for (const tick of ticks) {
    const x = scale(tick).toFixed(1);
    const strong = tick === 1;
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${strong ? '#555' : '#ddd'}" stroke-width="${strong ? 1.2 : 1}"/>`);
    parts.push(`<text x="${x}" y="${bottom + 13}" font-size="10" text-anchor="middle" fill="#666" ${FONT}>${tick}×</text>`);
  }
}

function targetsPanel(parts, results, top) {
  const rowHeight = 22;
  const labelWidth = 380;
  const x0 = labelWidth + 20;
  const plotWidth = WIDTH - x0 - 110;
  const scale = logScale(0.1, 10, x0, plotWidth);
  parts.push(`<text x="16" y="${top}" font-size="15" font-weight="600" ${FONT}>Targets: framewire ÷ peer (log scale; ▏= threshold)</text>`);
  parts.push(
    `<text x="16" y="${top + 16}" font-size="11" fill="#555" ${FONT}>CPU and memory: lower is better (≤ threshold). Throughput: higher is better (≥ threshold).</text>`,
  );
  const first = top + 30;
  const bottom = first + results.targets.length * rowHeight;
  axis(parts, scale, first - 4, bottom, [0.1, 0.2, 0.5, 1, 2, 5, 10]);
  results.targets.forEach((target, i) => {
    const y = first + i * rowHeight;
    const mid = y + rowHeight / 2;
    const sign = target.compare === 'le' ? '≤' : '≥';
    parts.push(
      `<text x="16" y="${mid + 4}" font-size="11.5" ${FONT}><tspan font-weight="600">${escapeXml(target.group)}</tspan> · ${escapeXml(target.label)} ${sign} ${target.threshold}×</text>`,
    );
    const tx = scale(target.threshold).toFixed(1);
    if (target.ratio === undefined) {
      parts.push(`<text x="${x0 + 6}" y="${mid + 4}" font-size="11" fill="${GREY}" ${FONT}>n/a (${escapeXml(target.why ?? 'not measured')})</text>`);
    } else {
      const color = target.verdict === 'pass' ? GREEN : RED;
      const a = scale(1);
      const b = scale(target.ratio);
      parts.push(`<rect x="${Math.min(a, b).toFixed(1)}" y="${y + 5}" width="${Math.max(Math.abs(b - a), 2).toFixed(1)}" height="${rowHeight - 10}" fill="${color}" rx="2"/>`);
      parts.push(`<text x="${x0 + plotWidth + 8}" y="${mid + 4}" font-size="11.5" fill="${color}" font-weight="600" ${FONT}>${target.ratio.toFixed(2)}× ${target.verdict === 'pass' ? '✓' : '✗'}</text>`);
    }
    parts.push(`<line x1="${tx}" y1="${y + 2}" x2="${tx}" y2="${y + rowHeight - 2}" stroke="#222" stroke-width="2"/>`);
  });
  return bottom + 30;
}

function peersPanel(parts, results, top) {
  const running = results.servers.filter((server) => server.status === 'running' && server.key !== 'ws-bu');
  const columns = [
    ...ECHO_CASES.map((testCase) => ({
      title: CHART_TITLES[testCase.key] ?? testCase.key,
      value: (key) => {
        const fw = echoMedian(results, testCase.key, key, 'cpuUsPerMessage');
        const base = echoMedian(results, testCase.key, 'ws-bu', 'cpuUsPerMessage');
        return fw !== undefined && base ? fw / base : undefined;
      },
    })),
    {
      title: 'idle memory ÷ ws',
      value: (key) => {
        const mine = memoryMedian(results, key);
        const base = memoryMedian(results, 'ws') ?? memoryMedian(results, 'ws-bu');
        return mine !== undefined && base ? mine / base : undefined;
      },
    },
  ];
  const labelWidth = 190;
  const gap = 14;
  const columnWidth = (WIDTH - labelWidth - 16 - gap * (columns.length - 1)) / columns.length;
  const rowHeight = 18;
  parts.push(`<text x="16" y="${top}" font-size="15" font-weight="600" ${FONT}>Every server: CPU per message ÷ ws + bufferutil, idle memory ÷ ws (log scale, lower is better)</text>`);
  const first = top + 36;
  const bottom = first + Math.max(running.length, 1) * rowHeight;
  columns.forEach((column, c) => {
    const x = labelWidth + c * (columnWidth + gap);
    const scale = logScale(0.05, 20, x, columnWidth);
    parts.push(`<text x="${(x + columnWidth / 2).toFixed(1)}" y="${top + 22}" font-size="11" font-weight="600" text-anchor="middle" ${FONT}>${escapeXml(column.title)}</text>`);
    axis(parts, scale, first - 4, bottom, [0.1, 1, 10]);
    running.forEach((server, r) => {
      const y = first + r * rowHeight;
      const value = column.value(server.key);
      if (value === undefined) {
        parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 13}" font-size="10" fill="${GREY}" ${FONT}>—</text>`);
        return;
      }
      const color = server.kind === 'framewire' ? '#3b6fd2' : server.kind === 'floor' ? '#b0b6bd' : '#e39b3a';
      const a = scale(1);
      const b = scale(value);
      parts.push(`<rect x="${Math.min(a, b).toFixed(1)}" y="${y + 4}" width="${Math.max(Math.abs(b - a), 2).toFixed(1)}" height="${rowHeight - 8}" fill="${color}" rx="2"><title>${escapeXml(`${server.label}: ${value.toFixed(2)}×`)}</title></rect>`);
    });
  });
  running.forEach((server, r) => {
    parts.push(`<text x="16" y="${first + r * rowHeight + 13}" font-size="11" ${FONT}>${escapeXml(server.label)}</text>`);
  });
  const legendY = bottom + 30;
  const legend = [
    ['#3b6fd2', 'framewire'],
    ['#e39b3a', 'peer server'],
    ['#b0b6bd', 'floor (hand-written minimal echo)'],
  ];
  legend.forEach(([color, text], i) => {
    const x = 16 + i * 200;
    parts.push(`<rect x="${x}" y="${legendY - 9}" width="12" height="10" fill="${color}"/>`);
    parts.push(`<text x="${x + 17}" y="${legendY}" font-size="11" ${FONT}>${escapeXml(text)}</text>`);
  });
  const missing = results.servers.filter((server) => server.status !== 'running').map((server) => `${server.label}: ${server.reason}`);
  if (missing.length > 0) {
    parts.push(`<text x="16" y="${legendY + 18}" font-size="10.5" fill="#666" ${FONT}>Not run: ${escapeXml(missing.join('; '))}</text>`);
  }
  return legendY + 30;
}

/** The chart as an SVG document. */
export function renderChart(results) {
  const parts = [];
  const m = results.machine;
  parts.push(`<text x="16" y="24" font-size="17" font-weight="700" ${FONT}>framewire benchmarks · ${escapeXml(results.mode)} run · ${escapeXml(results.date.slice(0, 10))}</text>`);
  parts.push(
    `<text x="16" y="42" font-size="11" fill="#555" ${FONT}>${escapeXml(`${m.cores} × ${m.cpuModel} · Node ${m.node} · ws ${m.ws} · Bun ${m.bun} · Deno ${m.deno} · medians of ${results.settings.reps} runs`)}</text>`,
  );
  const afterTargets = targetsPanel(parts, results, 72);
  const height = peersPanel(parts, results, afterTargets);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
