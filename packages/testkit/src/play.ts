// Playing one case: time limit, catching early ends, packing the result.
import type { Case, CaseContext } from './case.js';
import { CaseEnd } from './case.js';
import type { CaseResult } from './result.js';
import { Trace } from './trace.js';
import type { Outcome } from './verdict.js';
import { fail } from './verdict.js';

/** The runner-specific half of a case context. */
export type ContextParts = Omit<CaseContext, 'trace' | 'deadline' | 'mode'>;

/**
 * Run one case with a hard time limit and turn whatever happens into a result.
 * @param makeParts builds open/raw/clientExit for this case; `cleanup` frees its sockets and processes.
 */
export async function playCase(
  c: Case,
  mode: CaseContext['mode'],
  timeoutMs: number,
  keepPassTrace: boolean,
  makeParts: (trace: Trace, deadline: number) => { parts: ContextParts; cleanup: () => Promise<void> | void },
): Promise<CaseResult> {
  const trace = new Trace();
  const limit = c.timeoutMs ?? timeoutMs;
  const started = performance.now();
  const deadline = started + limit;
  const { parts, cleanup } = makeParts(trace, deadline);
  const ctx: CaseContext = { ...parts, mode, trace, deadline };
  let timer: NodeJS.Timeout | undefined;
  const hardStop = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve(fail(`the case did not finish within ${limit + 3000} ms`)), limit + 3000);
  });
  let outcome: Outcome;
  try {
    outcome = await Promise.race([c.run(ctx), hardStop]);
  } catch (err) {
    outcome = err instanceof CaseEnd ? err.outcome : fail(`kit error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
  trace.add('*', `verdict ${outcome.verdict}: ${outcome.reason}`);
  try {
    await cleanup();
  } catch {
    // Cleanup problems must not change a verdict.
  }
  const result: CaseResult = {
    id: c.id,
    area: c.area,
    title: c.title,
    rfc: c.rfc,
    verdict: outcome.verdict,
    reason: outcome.reason,
    durationMs: Math.round(performance.now() - started),
    ...(outcome.verdict !== 'pass' || keepPassTrace ? { trace: trace.toJSON() } : {}),
  };
  return result;
}
