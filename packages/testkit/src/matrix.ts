// The matrix: start each target (server command printing READY, client
// command), run the catalogue against it, print a table, write reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { matchesFilter, type RunReport } from './result.js';
import { writeHtmlReport } from './report-html.js';
import { writeJsonReport } from './report-json.js';
import { runClientSuite } from './runner-client.js';
import { runServerSuite } from './runner-server.js';
import { summaryTable } from './summary.js';

/** One implementation in testkit.matrix.json. `{port}` in a command is replaced by a free port. */
export interface MatrixTarget {
  readonly name: string;
  /** Disabled targets are listed but skipped. */
  readonly enabled?: boolean;
  readonly server?: { readonly command: string; readonly url?: string; readonly cwd?: string; readonly cases?: string };
  readonly client?: { readonly command: string; readonly cwd?: string; readonly cases?: string };
  /**
   * Failures this target is known to have, each with why (and the issue it
   * belongs to): case-id glob → reason. They are listed in the output but do
   * not fail the run; a known failure that starts passing is listed too.
   */
  readonly knownFailures?: Readonly<Record<string, string>>;
}

/** The reason a failed case of `target` is a known failure, if it is one. */
export function knownFailure(target: MatrixTarget | undefined, caseId: string): string | undefined {
  for (const [pattern, reason] of Object.entries(target?.knownFailures ?? {})) {
    if (matchesFilter(caseId, pattern)) return reason;
  }
  return undefined;
}

/**
 * Lines for the known failures of each run, and the number of failures that
 * are not known (the ones that fail the matrix).
 */
export function judgeKnownFailures(config: MatrixConfig, runs: readonly RunReport[]): { lines: string[]; unknown: number } {
  const lines: string[] = [];
  let unknown = 0;
  for (const run of runs) {
    const target = config.targets.find((t) => t.name === run.target);
    for (const r of run.results) {
      if (r.verdict !== 'fail') continue;
      const reason = knownFailure(target, r.id);
      if (reason === undefined) unknown++;
      else lines.push(`[${run.target}:${run.mode}] known failure ${r.id}: ${reason}`);
    }
  }
  return { lines, unknown };
}

/** The matrix config file. */
export interface MatrixConfig {
  readonly targets: readonly MatrixTarget[];
  readonly reportDir?: string;
  readonly concurrency?: number;
}

/** Options of {@link runMatrix}. */
export interface MatrixOptions {
  readonly config: MatrixConfig;
  /** Directory that relative cwd values in the config are resolved against. */
  readonly baseDir: string;
  /** Only these target names (default: every enabled target). */
  readonly only?: readonly string[];
  /** Case filter; replaces the per-target ones. */
  readonly cases?: string;
  readonly modes?: readonly ('server' | 'client')[];
  readonly reportDir?: string;
  readonly log?: (line: string) => void;
}

/** Read a matrix config file. */
export function loadMatrixConfig(path: string): { config: MatrixConfig; baseDir: string } {
  return { config: JSON.parse(readFileSync(path, 'utf8')) as MatrixConfig, baseDir: dirname(resolve(path)) };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Start a server command and wait for a line READY on its stdout. */
export function startServer(command: string, cwd: string, timeoutMs = 30_000): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(command, { shell: true, detached: true, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const gone = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await gone;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`"${command}" did not print READY within ${timeoutMs} ms. Output: ${out.slice(-500)}`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^READY\s*$/m.test(out)) {
        clearTimeout(timer);
        resolveStart({ child, stop });
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`"${command}" exited (${code}) before READY. Output: ${out.slice(-500)}`));
    });
  });
}

/** Run every selected target, print the table, write report.json and report.html. */
export async function runMatrix(opts: MatrixOptions): Promise<RunReport[]> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const modes = opts.modes ?? ['server', 'client'];
  const targets = opts.config.targets.filter((t) => (opts.only ? opts.only.includes(t.name) : t.enabled !== false));
  const runs: RunReport[] = [];
  for (const target of targets) {
    if (target.server && modes.includes('server')) {
      const port = await freePort();
      const command = target.server.command.replaceAll('{port}', String(port));
      const cwd = resolve(opts.baseDir, target.server.cwd ?? '.');
      log(`[${target.name}] starting server: ${command}`);
      const server = await startServer(command, cwd);
      try {
        const url = (target.server.url ?? 'ws://127.0.0.1:{port}/').replaceAll('{port}', String(port));
        // A command-line filter replaces the target's own.
        const filter = opts.cases ?? target.server.cases;
        runs.push(await runServerSuite({ url, target: target.name, ...(filter ? { filter } : {}), ...(opts.config.concurrency ? { concurrency: opts.config.concurrency } : {}) }));
      } finally {
        await server.stop();
      }
    }
    if (target.client && modes.includes('client')) {
      log(`[${target.name}] running client: ${target.client.command}`);
      const filter = opts.cases ?? target.client.cases;
      runs.push(await runClientSuite({
        clientCmd: target.client.command,
        cwd: resolve(opts.baseDir, target.client.cwd ?? '.'),
        target: target.name,
        ...(filter ? { filter } : {}),
        ...(opts.config.concurrency ? { concurrency: opts.config.concurrency } : {}),
      }));
    }
  }
  log(summaryTable(runs));
  const dir = opts.reportDir ?? resolve(opts.baseDir, opts.config.reportDir ?? 'reports');
  log(`reports: ${writeJsonReport(dir, runs)}, ${writeHtmlReport(dir, runs)}`);
  return runs;
}
