// Plays the checks one after another against one server: each under a hard
// time limit, with the server's RSS sampled, its sockets destroyed after it,
// and a liveness probe after it. When a probe fails and the caller can start
// the server again, the next check gets a fresh server so one defect does
// not hide the rest.
import type { Socket } from 'node:net';
import type { CheckContext, CheckId, CheckOutcome, StressCheck, StressVerdict } from './check.js';
import { CHECK_IDS, outcome } from './check.js';
import { deflateBombCheck } from './deflate-bomb.js';
import { pingFloodCheck, pipelinedFloodCheck } from './floods.js';
import { idleConnectionsCheck } from './idle-connections.js';
import { malformedHandshakesCheck } from './malformed-handshakes.js';
import type { ProbeResult } from './probe.js';
import { probe } from './probe.js';
import { connectRstCheck, rstMidCheck } from './resets.js';
import { processAlive, RssSampler } from './rss.js';
import type { Scale } from './scale.js';
import { sigtermCheck } from './sigterm.js';
import { slowHeadersCheck } from './slow-headers.js';
import { slowReaderCheck } from './slow-reader.js';
import { soakCheck } from './soak.js';

/** Every check, in play order. */
export const STRESS_CHECKS: readonly StressCheck[] = [
  connectRstCheck,
  rstMidCheck,
  slowHeadersCheck,
  malformedHandshakesCheck,
  // Before the floods and the bombs, so its per-connection RSS is not blurred by their garbage.
  idleConnectionsCheck,
  // Before the floods and the bomb: a leak slope is read from a settled heap, not from their garbage being collected.
  soakCheck,
  pingFloodCheck,
  pipelinedFloodCheck,
  slowReaderCheck,
  deflateBombCheck,
  sigtermCheck,
];

/** A running echo server. */
export interface ServerHandle {
  /** ws://127.0.0.1:N/ */
  readonly url: URL;
  /** The runtime's own process (not a wrapper), or null when unknown. */
  readonly pid: number | null;
  /** Stop it (SIGTERM, then SIGKILL); a no-op for a server the kit did not start. */
  stop(): Promise<void>;
  /** The last lines it printed (for a crash report), when the kit started it. */
  output?(): string;
}

/** What a run needs. */
export interface StressOptions {
  /** Report name: the runtime, or what the user called the target. */
  readonly name: string;
  readonly scaleName: string;
  readonly scale: Scale;
  /** Which checks to play (play order is fixed). */
  readonly checks: readonly CheckId[];
  readonly server: ServerHandle;
  /** Start a fresh server (after a failed probe); absent for a server the kit did not start. */
  readonly relaunch?: () => Promise<ServerHandle>;
  readonly log?: (line: string) => void;
  /** Checks this server path is known to fail, with why (a documented limit, not a regression). */
  readonly knownFailures?: Readonly<Partial<Record<CheckId, string>>>;
}

/** One check's line in the report. */
export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  readonly rule: string;
  readonly verdict: StressVerdict;
  readonly reason: string;
  readonly wallMs: number;
  readonly rss: { readonly beforeMiB: number | null; readonly peakMiB: number | null; readonly afterMiB: number | null; readonly growthMiB: number | null; readonly limitMiB: number | null };
  /** The liveness probe after the check (null after SIGTERM, which ends the server on purpose). */
  readonly probe: ProbeResult | null;
  readonly metrics: CheckOutcome['metrics'];
  /** Set when the server was started again before this check because the previous probe failed. */
  readonly restartedBefore?: boolean;
}

/** The whole run. */
export interface StressReport {
  readonly name: string;
  readonly scaleName: string;
  readonly scale: Scale;
  readonly startedAt: string;
  readonly wallMs: number;
  readonly passed: boolean;
  readonly results: readonly CheckResult[];
}

const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

/** Run `check` under its hard time limit; tracked sockets are destroyed whatever happens. */
async function playOne(check: StressCheck, server: ServerHandle, scale: Scale, log: (line: string) => void): Promise<{ out: CheckOutcome; rss: RssSampler; wallMs: number }> {
  const budget = check.timeoutMs(scale);
  const controller = new AbortController();
  const sockets = new Set<Socket>();
  const rss = new RssSampler(server.pid);
  const start = performance.now();
  const ctx: CheckContext = {
    url: server.url,
    pid: server.pid,
    scale,
    rss,
    deadline: start + budget,
    signal: controller.signal,
    track(socket) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      return socket;
    },
    probe: () => probe(server.url),
    log,
  };
  let timer: NodeJS.Timeout | undefined;
  // The hard limit: abort tells the check to wrap up; a grace period later the runner stops waiting.
  const hardStop = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      timer = setTimeout(() => resolve(outcome('fail', `hard time limit of ${budget} ms reached`, {})), 5000);
    }, budget);
  });
  let out: CheckOutcome;
  try {
    out = await Promise.race([check.run(ctx), hardStop]);
  } catch (error) {
    out = outcome('fail', `check threw: ${(error as Error).message}`, {});
  } finally {
    clearTimeout(timer);
    controller.abort();
    rss.stop();
    for (const socket of sockets) socket.destroy();
  }
  if (controller.signal.aborted && performance.now() - start >= budget && out.verdict === 'pass') {
    out = outcome('fail', `hard time limit of ${budget} ms reached (${out.reason})`, out.metrics);
  }
  return { out, rss, wallMs: Math.round(performance.now() - start) };
}

/**
 * Play the chosen checks in order against `options.server` and return the
 * report. The caller owns the server's lifetime: the runner stops only the
 * servers it started itself through `relaunch`.
 */
export async function runStress(options: StressOptions): Promise<{ report: StressReport; server: ServerHandle }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = new Date();
  const t0 = performance.now();
  let server = options.server;
  let needsRestart = false;
  const results: CheckResult[] = [];
  for (const check of STRESS_CHECKS) {
    if (!options.checks.includes(check.id)) continue;
    let restartedBefore = false;
    if (needsRestart && options.relaunch) {
      log(`[${options.name}] server did not answer: starting a fresh one`);
      await server.stop();
      server = await options.relaunch();
      restartedBefore = true;
      needsRestart = false;
    }
    log(`[${options.name}] ${check.id} ...`);
    const { out, rss, wallMs } = await playOne(check, server, options.scale, log);
    const alive = server.pid === null || processAlive(server.pid);
    // SIGTERM ends the server on purpose: no probe after it.
    const after = check.id === 'sigterm' ? null : alive ? await probe(server.url) : { ok: false, ms: 0, reason: 'the server process is gone' };
    const limit = out.rssJudged ? null : check.rssLimitMiB(options.scale);
    const growth = rss.growth;
    const reasons = out.verdict === 'pass' ? [] : [out.reason];
    let verdict = out.verdict;
    if (limit !== null && growth !== null && growth >= limit && verdict !== 'skip') {
      verdict = 'fail';
      reasons.push(`RSS grew ${round1(growth)} MiB, bound ${limit} MiB`);
    }
    if (!alive && check.id !== 'sigterm') {
      verdict = 'fail';
      reasons.push(`the server process died${server.output ? `; last output: ${server.output().slice(-400)}` : ''}`);
    } else if (after !== null && !after.ok) {
      verdict = 'fail';
      reasons.push(`liveness probe failed: ${after.reason}`);
    }
    if (after !== null && !after.ok) needsRestart = true;
    const known = options.knownFailures?.[check.id];
    if (known !== undefined && verdict === 'fail') {
      verdict = 'known';
      reasons.unshift(`known failure (${known})`);
    } else if (known !== undefined && verdict === 'pass') {
      log(`[${options.name}] ${check.id} is listed as a known failure but passed: remove it from the list`);
    }
    const result: CheckResult = {
      id: check.id,
      title: check.title,
      rule: check.rule,
      verdict,
      reason: verdict === 'pass' ? out.reason : reasons.join('; '),
      wallMs,
      rss: { beforeMiB: round1(rss.baseline), peakMiB: round1(rss.peak), afterMiB: round1(rss.last), growthMiB: round1(growth), limitMiB: limit },
      probe: after,
      metrics: out.metrics,
      ...(restartedBefore ? { restartedBefore } : {}),
    };
    results.push(result);
    log(`[${options.name}] ${check.id}: ${verdict} (${(wallMs / 1000).toFixed(1)} s) ${result.reason}`);
  }
  const report: StressReport = {
    name: options.name,
    scaleName: options.scaleName,
    scale: options.scale,
    startedAt: started.toISOString(),
    wallMs: Math.round(performance.now() - t0),
    passed: results.every((r) => r.verdict !== 'fail'),
    results,
  };
  return { report, server };
}

/** Check ids matching a comma-separated list of ids (or `all`). Returns the unknown names as a string. */
export function selectChecks(list: string | undefined, skip: string | undefined): CheckId[] | string {
  const names = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const known = new Set<string>(CHECK_IDS);
  const unknown = [...names(list), ...names(skip)].filter((n) => n !== 'all' && !known.has(n));
  if (unknown.length > 0) return `unknown check(s): ${unknown.join(', ')} (known: ${CHECK_IDS.join(', ')})`;
  const chosen = list === undefined || names(list).includes('all') ? [...CHECK_IDS] : names(list);
  const skipped = new Set(names(skip));
  return CHECK_IDS.filter((id) => chosen.includes(id) && !skipped.has(id));
}
