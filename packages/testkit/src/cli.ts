// framewire-testkit: server, client, matrix and list commands.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { catalogue } from './cases/index.js';
import { judgeKnownFailures, loadMatrixConfig, runMatrix } from './matrix.js';
import type { CaseResult, RunReport } from './result.js';
import { matchesFilter } from './result.js';
import { writeHtmlReport } from './report-html.js';
import { writeJsonReport } from './report-json.js';
import { runClientSuite } from './runner-client.js';
import { runServerSuite } from './runner-server.js';
import { stressMain } from './stress/command.js';
import { notableResults, summaryTable } from './summary.js';

const USAGE = `framewire-testkit: black-box WebSocket conformance (RFC 6455, RFC 7692)

  framewire-testkit server <ws://host:port/path> [--cases glob] [--report dir] [--name n]
  framewire-testkit client --client-cmd "<command>" [--port N] [--cases glob] [--report dir] [--name n]
  framewire-testkit matrix [--config testkit.matrix.json] [--targets a,b] [--mode server|client|both] [--cases glob] [--report dir]
  framewire-testkit list [--cases glob]
  framewire-testkit stress --url ws://127.0.0.1:N/ [--pid P] [--ci] [flags]   (stress --help for the flags)

Common options: --concurrency N (default 4), --timeout ms (per case), --verbose (print every non-pass).
--cases takes comma-separated globs on case ids, e.g. "utf8.*,close.code.*".
The exit code is 1 when any case fails, 2 on a usage error.`;

function progress(verbose: boolean): (r: CaseResult) => void {
  return (r) => {
    if (verbose && r.verdict !== 'pass') console.log(`${r.verdict.padEnd(13)} ${r.id}: ${r.reason}`);
  };
}

function finish(runs: RunReport[], reportDir: string | undefined, verbose: boolean): number {
  for (const run of runs) for (const line of notableResults(run, verbose ? [] : ['fail'])) console.log(line);
  console.log(summaryTable(runs));
  if (reportDir) console.log(`reports: ${writeJsonReport(reportDir, runs)}, ${writeHtmlReport(reportDir, runs)}`);
  return runs.some((r) => r.counts.fail > 0) ? 1 : 0;
}

/** Run the command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // The stress suite has its own flags (every scale is one).
  if (argv[0] === 'stress') return stressMain(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        cases: { type: 'string' },
        report: { type: 'string' },
        name: { type: 'string' },
        'client-cmd': { type: 'string' },
        port: { type: 'string' },
        config: { type: 'string' },
        targets: { type: 'string' },
        mode: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg] = positionals;
  const verbose = values.verbose ?? false;
  const common = {
    ...(values.cases ? { filter: values.cases } : {}),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
    ...(values.timeout ? { timeoutMs: Number(values.timeout) } : {}),
    onResult: progress(verbose),
  };
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'server': {
      if (!arg) {
        console.error(`server: name the URL\n\n${USAGE}`);
        return 2;
      }
      const run = await runServerSuite({ url: arg, ...(values.name ? { target: values.name } : {}), ...common });
      return finish([run], values.report, verbose);
    }
    case 'client': {
      const cmd = values['client-cmd'];
      if (!cmd) {
        console.error(`client: --client-cmd is required\n\n${USAGE}`);
        return 2;
      }
      const run = await runClientSuite({ clientCmd: cmd, ...(values.port ? { port: Number(values.port) } : {}), ...(values.name ? { target: values.name } : {}), ...common });
      return finish([run], values.report, verbose);
    }
    case 'matrix': {
      const { config, baseDir } = loadMatrixConfig(resolve(values.config ?? 'testkit.matrix.json'));
      const mode = values.mode ?? 'both';
      const runs = await runMatrix({
        config,
        baseDir,
        ...(values.targets ? { only: values.targets.split(',') } : {}),
        ...(values.cases ? { cases: values.cases } : {}),
        ...(values.report ? { reportDir: resolve(values.report) } : {}),
        modes: mode === 'both' ? ['server', 'client'] : [mode as 'server' | 'client'],
      });
      for (const run of runs) for (const line of notableResults(run)) console.log(`[${run.target}:${run.mode}] ${line}`);
      const known = judgeKnownFailures(config, runs);
      for (const line of known.lines) console.log(line);
      console.log(`matrix: ${known.unknown} unexpected failure(s), ${known.lines.length} known failure(s)`);
      return known.unknown > 0 ? 1 : 0;
    }
    case 'list': {
      for (const c of catalogue()) if (matchesFilter(c.id, values.cases)) console.log(`${c.id.padEnd(52)} ${c.modes.join('+').padEnd(13)} ${c.title}`);
      return 0;
    }
    default:
      console.error(`unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}
