// Result shapes shared by the runners, the reports and the matrix.
import type { Area, Case, Mode } from './case.js';
import type { TraceEntry } from './trace.js';
import type { Verdict, VerdictCounts } from './verdict.js';
import { countVerdicts } from './verdict.js';

/** The judged result of one case. */
export interface CaseResult {
  readonly id: string;
  readonly area: Area;
  readonly title: string;
  readonly rfc: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly durationMs: number;
  /** The observed sequence; kept for every verdict other than pass (and for passes when asked). */
  readonly trace?: readonly TraceEntry[];
}

/** One run of the catalogue against one implementation. */
export interface RunReport {
  /** A name for the implementation (e.g. "ws"). */
  readonly target: string;
  readonly mode: Mode;
  /** URL or command that was tested. */
  readonly subject: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly counts: VerdictCounts;
  readonly results: readonly CaseResult[];
}

/** Options both runners accept. */
export interface RunOptions {
  /** Name of the implementation in reports. */
  readonly target?: string;
  /** Cases to run (default: the whole catalogue for the mode). */
  readonly cases?: readonly Case[];
  /** Comma-separated globs on case ids, e.g. "utf8.*,close.code.*". */
  readonly filter?: string;
  /** Cases in flight at once (default 4). */
  readonly concurrency?: number;
  /** Default time limit per case in ms. */
  readonly timeoutMs?: number;
  /** Keep traces of passing cases too. */
  readonly keepPassTraces?: boolean;
  /** Called after each case (progress output). */
  readonly onResult?: (result: CaseResult) => void;
}

/** Whether an id matches a comma-separated list of globs (`*` any run, `?` one character). */
export function matchesFilter(id: string, filter: string | undefined): boolean {
  if (!filter) return true;
  return filter.split(',').some((glob) => {
    const pattern = glob.trim();
    if (pattern === '') return false;
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return re.test(id) || id.startsWith(`${pattern}.`);
  });
}

/** Assemble a report from results, in catalogue order. */
export function makeReport(target: string, mode: Mode, subject: string, started: Date, results: CaseResult[], order: readonly Case[]): RunReport {
  const index = new Map(order.map((c, i) => [c.id, i]));
  const sorted = [...results].sort((a, b) => (index.get(a.id) ?? 0) - (index.get(b.id) ?? 0));
  return {
    target,
    mode,
    subject,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    counts: countVerdicts(sorted),
    results: sorted,
  };
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
