// Verdicts and how results are counted.

/**
 * The verdict of one case.
 * - pass: what the RFC asks for, in its preferred form.
 * - non-strict: acceptable under the RFC but not ideal (dropped TCP instead of a close frame, a different error code, failed late instead of fast).
 * - fail: against the RFC (accepted invalid input, sent invalid bytes, never failed the connection, hung).
 * - unimplemented: an optional feature the implementation does not offer (e.g. permessage-deflate declined).
 * - informational: the RFC leaves the behaviour open; the observation is recorded, not judged.
 */
export type Verdict = 'pass' | 'non-strict' | 'fail' | 'unimplemented' | 'informational';

/** Every verdict, best first. */
export const VERDICTS: readonly Verdict[] = ['pass', 'non-strict', 'fail', 'unimplemented', 'informational'];

/** The result of a case's judgement: a verdict and the reason for it. */
export interface Outcome {
  readonly verdict: Verdict;
  readonly reason: string;
}

/** A pass outcome. */
export const pass = (reason = 'as expected'): Outcome => ({ verdict: 'pass', reason });
/** A non-strict outcome (allowed, not ideal). */
export const nonStrict = (reason: string): Outcome => ({ verdict: 'non-strict', reason });
/** A fail outcome (against the RFC). */
export const fail = (reason: string): Outcome => ({ verdict: 'fail', reason });
/** An unimplemented outcome (optional feature absent). */
export const unimplemented = (reason: string): Outcome => ({ verdict: 'unimplemented', reason });
/** An informational outcome (behaviour the RFC leaves open). */
export const informational = (reason: string): Outcome => ({ verdict: 'informational', reason });

const RANK: Record<Verdict, number> = { pass: 0, informational: 1, unimplemented: 2, 'non-strict': 3, fail: 4 };

/** The worse of two outcomes (reasons joined when both are not passes). */
export function worse(a: Outcome, b: Outcome): Outcome {
  if (RANK[b.verdict] > RANK[a.verdict]) return a.verdict === 'pass' ? b : { verdict: b.verdict, reason: `${b.reason}; ${a.reason}` };
  if (RANK[a.verdict] > RANK[b.verdict] || b.verdict === 'pass') return b.verdict === 'pass' ? a : { verdict: a.verdict, reason: `${a.reason}; ${b.reason}` };
  return { verdict: a.verdict, reason: `${a.reason}; ${b.reason}` };
}

/** Counts of each verdict. */
export type VerdictCounts = Record<Verdict, number>;

/** Zeroed counts. */
export function emptyCounts(): VerdictCounts {
  return { pass: 0, 'non-strict': 0, fail: 0, unimplemented: 0, informational: 0 };
}

/** Count verdicts of a list of results. */
export function countVerdicts(results: readonly { readonly verdict: Verdict }[]): VerdictCounts {
  const counts = emptyCounts();
  for (const r of results) counts[r.verdict]++;
  return counts;
}
