// What one stress check is, what the runner hands it and what it returns.
import type { Socket } from 'node:net';
import type { ProbeResult } from './probe.js';
import type { RssSampler } from './rss.js';
import type { Scale } from './scale.js';

/** Ids of the checks, in the order the runner plays them (SIGTERM ends the server, so it is last). */
export const CHECK_IDS = [
  'connect-rst',
  'rst-mid',
  'slow-headers',
  'malformed-handshakes',
  'idle-connections',
  'soak',
  'ping-flood',
  'pipelined-flood',
  'slow-reader',
  'deflate-bomb',
  'sigterm',
] as const;

/** One check's id. */
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * pass, fail, skip (the check does not apply: no pid, no permessage-deflate),
 * or known: a failure listed, with its reason, as a limit of that server path
 * (it does not fail the run; one that starts passing is reported).
 */
export type StressVerdict = 'pass' | 'fail' | 'skip' | 'known';

/** What a check hands back; the runner adds wall time, RSS and the liveness probe. */
export interface CheckOutcome {
  readonly verdict: StressVerdict;
  /** Why it failed or was skipped, or a short note on a pass. */
  readonly reason: string;
  /** Figures worth a column or a JSON field (counts, rates, KiB per connection, slope). */
  readonly metrics: Readonly<Record<string, number | string | null>>;
  /**
   * Set by a check that judges RSS itself (the soak's slope, KiB per
   * connection): the runner then does not apply a growth bound.
   */
  readonly rssJudged?: boolean;
}

/** What the runner gives a check. */
export interface CheckContext {
  /** The echo server, always ws://127.0.0.1:N/. */
  readonly url: URL;
  /** The server process, or null when RSS cannot be read and no signal can be sent. */
  readonly pid: number | null;
  readonly scale: Scale;
  /** The server's RSS, sampled while the check runs. */
  readonly rss: RssSampler;
  /** performance.now() value after which the check must stop and judge. */
  readonly deadline: number;
  /** Aborted when the check's hard timeout fires. */
  readonly signal: AbortSignal;
  /** Register a socket so the runner destroys it after the check, however the check ended. */
  track(socket: Socket): Socket;
  /** A fresh handshake and echo round trip, for checks that probe while their load is open. */
  probe(): Promise<ProbeResult>;
  /** A progress line on stderr. */
  log(line: string): void;
}

/** One check of the suite. */
export interface StressCheck {
  readonly id: CheckId;
  /** Issue 15's name for it. */
  readonly title: string;
  /** The pass rule, in words (printed in the README and the JSON report). */
  readonly rule: string;
  /** Hard time limit for this scale, ms. */
  timeoutMs(scale: Scale): number;
  /** RSS growth bound the runner applies after the check, MiB, or null for none. */
  rssLimitMiB(scale: Scale): number | null;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

/** Shorthand for outcomes. */
export function outcome(verdict: StressVerdict, reason: string, metrics: CheckOutcome['metrics'] = {}, rssJudged = false): CheckOutcome {
  return { verdict, reason, metrics, ...(rssJudged ? { rssJudged } : {}) };
}
