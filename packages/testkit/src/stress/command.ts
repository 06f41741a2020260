// `framewire-testkit stress` and `pnpm stress`: one flag parser for both.
// The testkit tests a server that is already running (--url, --pid); the
// repository's scripts/stress.mjs adds --runtime by passing a launcher.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECK_IDS, type CheckId } from './check.js';
import { stressTable, writeStressJson } from './report.js';
import type { ServerHandle, StressReport } from './runner.js';
import { runStress, selectChecks } from './runner.js';
import { applyScaleFlags, CI_SCALE, FULL_SCALE, SCALE_FLAGS } from './scale.js';

/** The five server paths of the echo-server entry point (root README), in the order `--runtime all` plays them. */
export const STRESS_RUNTIMES = ['node', 'bun', 'deno', 'deno-serve', 'bun-serve'] as const;

/** Starts an echo server for a runtime and resolves once it printed READY. */
export type LaunchServer = (runtime: string) => Promise<ServerHandle>;

/** Usage text; `withRuntime` when a launcher is available. */
export function stressUsage(withRuntime: boolean): string {
  const scaleLines = Object.values(SCALE_FLAGS).map(({ flag, help }) => `  --${pad(`${flag} N`, 26)}${help}`);
  return [
    'stress: the fault and stress suite, from outside over raw TCP (issue 15)',
    '',
    withRuntime ? '  pnpm stress --runtime node|bun|deno|deno-serve|bun-serve|all [--ci] [flags]' : '',
    `  ${withRuntime ? 'pnpm stress' : 'framewire-testkit stress'} --url ws://127.0.0.1:N/ [--pid P] [--name NAME] [--ci] [flags]`,
    '',
    '  --ci                        reduced scale (all four runtimes in a few minutes); default: full scale',
    `  --checks a,b                only these checks (${CHECK_IDS.join(', ')})`,
    '  --skip a,b                  leave these out',
    '  --report-dir DIR            where stress-<name>.json goes (default: reports)',
    '  --pid P                     the server process: RSS from /proc/P/status, SIGTERM for the sigterm check',
    ...scaleLines,
    '',
    'Exit code: 1 when any check fails, 2 on a usage error.',
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

/** Run the stress command line; resolves to the exit code. */
export async function stressMain(
  argv: readonly string[],
  launch?: LaunchServer,
  defaultReportDir = 'reports',
  knownFailures: Readonly<Record<string, Readonly<Partial<Record<CheckId, string>>>>> = {},
): Promise<number> {
  const scaleOptions = Object.fromEntries(Object.values(SCALE_FLAGS).map(({ flag }) => [flag, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        pid: { type: 'string' },
        runtime: { type: 'string' },
        name: { type: 'string' },
        ci: { type: 'boolean' },
        checks: { type: 'string' },
        skip: { type: 'string' },
        'report-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...scaleOptions,
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${stressUsage(launch !== undefined)}`);
    return 2;
  }
  if (values.help) {
    console.log(stressUsage(launch !== undefined));
    return 0;
  }
  const usage = (message: string): number => {
    console.error(`stress: ${message}\n\n${stressUsage(launch !== undefined)}`);
    return 2;
  };
  const strings = Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const scale = applyScaleFlags(values.ci ? CI_SCALE : FULL_SCALE, strings);
  if (typeof scale === 'string') return usage(scale);
  const checks = selectChecks(strings.checks, strings.skip);
  if (typeof checks === 'string') return usage(checks);
  const scaleName = values.ci ? 'ci' : 'full';
  const reportDir = resolve(strings['report-dir'] ?? defaultReportDir);
  const reports: StressReport[] = [];

  if (strings.url !== undefined) {
    if (strings.runtime !== undefined) return usage('give --url or --runtime, not both');
    let url: URL;
    try {
      url = new URL(strings.url);
    } catch {
      return usage(`bad --url ${strings.url}`);
    }
    // Every stress socket stays on loopback: the suite is an attack, aimed only at this machine.
    if (url.protocol !== 'ws:' || url.hostname !== '127.0.0.1') return usage('--url must be ws://127.0.0.1:PORT/... (the suite only attacks loopback)');
    const pid = strings.pid === undefined ? null : Number(strings.pid);
    if (pid !== null && !(Number.isInteger(pid) && pid > 0)) return usage(`bad --pid ${strings.pid}`);
    if (pid === null) console.error('stress: no --pid: RSS is not measured and the sigterm check is skipped');
    const server: ServerHandle = { url, pid, stop: async () => {} };
    const { report } = await runStress({ name: strings.name ?? 'url', scaleName, scale, checks, server });
    reports.push(report);
  } else {
    if (launch === undefined) return usage('name the server with --url (start it yourself; `pnpm stress --runtime R` starts one)');
    const runtime = strings.runtime ?? 'node';
    const runtimes = runtime === 'all' ? [...STRESS_RUNTIMES] : [runtime];
    for (const name of runtimes) {
      if (!(STRESS_RUNTIMES as readonly string[]).includes(name)) return usage(`unknown --runtime ${name} (one of: ${STRESS_RUNTIMES.join(', ')}, all)`);
    }
    for (const name of runtimes) {
      let server = await launch(name);
      try {
        const known = knownFailures[name];
        const run = await runStress({
          name: strings.name ?? name,
          scaleName,
          scale,
          checks,
          server,
          relaunch: () => launch(name),
          ...(known !== undefined ? { knownFailures: known } : {}),
        });
        server = run.server;
        reports.push(run.report);
      } finally {
        await server.stop();
      }
      const last = reports[reports.length - 1];
      if (last) console.log(`${stressTable(last)}\nreport: ${writeStressJson(reportDir, last)}\n`);
    }
  }
  if (strings.url !== undefined) for (const report of reports) console.log(`${stressTable(report)}\nreport: ${writeStressJson(reportDir, report)}\n`);
  if (reports.length > 1) {
    // The summary comes last, where a CI log's tail still shows it: a failure carries its reason.
    for (const report of reports) console.log(stressSummaryLine(report));
  }
  return reports.every((r) => r.passed) ? 0 : 1;
}

/** One line per runtime for the end of a multi-runtime run; failed checks keep their reason (at most 600 characters each). */
export function stressSummaryLine(report: StressReport): string {
  const failed = report.results.filter((r) => r.verdict === 'fail');
  const what = failed.length === 0 ? 'no failures' : failed.map((r) => `${r.id}: ${r.reason.length > 600 ? `${r.reason.slice(0, 600)}…` : r.reason}`).join('; ');
  return `${report.name}: ${report.passed ? 'pass' : 'FAIL'} (${what}), ${(report.wallMs / 1000).toFixed(0)} s`;
}
