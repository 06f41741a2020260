// The compact text table printed to stdout: areas by implementation.
import { AREAS } from './case.js';
import type { RunReport } from './result.js';
import { countVerdicts } from './verdict.js';

function cell(results: RunReport['results']): string {
  if (results.length === 0) return '-';
  const c = countVerdicts(results);
  let s = `${c.pass}/${c['non-strict']}/${c.fail}`;
  if (c.unimplemented) s += ` u${c.unimplemented}`;
  if (c.informational) s += ` i${c.informational}`;
  return s;
}

/**
 * A table of pass/non-strict/fail counts per area (u: unimplemented, i: informational), one column per run.
 * @example
 * console.log(summaryTable([report]));
 */
export function summaryTable(runs: readonly RunReport[]): string {
  const header = ['area', ...runs.map((r) => `${r.target}:${r.mode}`)];
  const rows: string[][] = [header];
  for (const area of AREAS) {
    rows.push([area, ...runs.map((r) => cell(r.results.filter((x) => x.area === area)))]);
  }
  rows.push(['total', ...runs.map((r) => cell(r.results))]);
  rows.push(['time', ...runs.map((r) => `${(r.durationMs / 1000).toFixed(1)} s`)]);
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => row.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), '(pass/non-strict/fail, u = unimplemented, i = informational)'].join('\n');
}

/** Lines for every case that did not pass, for the console. */
export function notableResults(run: RunReport, verdicts: readonly string[] = ['fail']): string[] {
  return run.results.filter((r) => verdicts.includes(r.verdict)).map((r) => `${r.verdict.padEnd(13)} ${r.id}: ${r.reason}`);
}
