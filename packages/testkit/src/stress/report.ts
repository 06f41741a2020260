// The stress report: a plain-text table for the terminal and a JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult, StressReport } from './runner.js';

const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length));

/** RSS column: growth of the peak over the baseline, with the bound when one applies. */
function rssCell(r: CheckResult): string {
  if (r.rss.growthMiB === null) return '-';
  const sign = r.rss.growthMiB >= 0 ? '+' : '';
  return `${sign}${r.rss.growthMiB.toFixed(1)}${r.rss.limitMiB !== null ? ` (<${r.rss.limitMiB})` : ''}`;
}

/** One table row per check, for the terminal. */
export function stressTable(report: StressReport): string {
  const head = ['check', 'verdict', 'RSS MiB', 'time s', 'probe', 'result'];
  const rows = report.results.map((r) => [
    r.id,
    r.verdict,
    rssCell(r),
    (r.wallMs / 1000).toFixed(1),
    r.probe === null ? 'n/a' : r.probe.ok ? `ok ${r.probe.ms}ms` : 'FAIL',
    (r.restartedBefore ? '[fresh server] ' : '') + r.reason,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.slice(0).map((row) => (i === head.length - 1 ? 0 : (row[i] ?? '').length))));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ');
  const failed = report.results.filter((r) => r.verdict === 'fail').length;
  return [
    `stress: ${report.name} (${report.scaleName} scale), ${(report.wallMs / 1000).toFixed(0)} s, ${failed === 0 ? 'all passed' : `${failed} failed`}`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}

/** Write `stress-<name>.json` into `dir`; returns the path. */
export function writeStressJson(dir: string, report: StressReport): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `stress-${report.name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
