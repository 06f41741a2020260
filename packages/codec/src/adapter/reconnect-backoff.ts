/**
 * The delay schedule of the reconnecting client: exponential backoff with
 * full jitter (a uniform draw in `[0, min(maxDelay, initialDelay·factor^n)]`),
 * so a crowd of clients that lost the same server does not come back in
 * lockstep. Pure: the random source is injected.
 *
 * @module
 */
import { UsageError } from '../protocol/errors.js';

/** Backoff settings of {@link ReconnectOptions}; every field has a safe default. */
export interface BackoffOptions {
  /** Upper bound of the first delay, ms. Default 500. */
  initialDelay?: number;
  /** Growth of the upper bound per failed attempt (≥ 1). Default 2. */
  factor?: number;
  /** Upper bound of any delay, ms. Default 30 000. */
  maxDelay?: number;
  /**
   * Attempts in a row (since the last stable connection) after which the
   * client gives up and closes with `'attempts-exhausted'`. Default
   * `Infinity` (retry forever).
   */
  maxAttempts?: number;
  /** A connection that stayed up this long (ms) resets the attempt count. Default 5 000. */
  stableAfter?: number;
}

/** {@link BackoffOptions} with every default filled in. */
export type BackoffSettings = Required<BackoffOptions>;

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Readonly<BackoffSettings> = Object.freeze({
  initialDelay: 500,
  factor: 2,
  maxDelay: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  stableAfter: 5_000,
});

/** Fill in and check backoff options. @throws UsageError on a negative or non-numeric setting. */
export function backoffSettings(options: BackoffOptions = {}): BackoffSettings {
  const settings: BackoffSettings = {
    initialDelay: options.initialDelay ?? DEFAULT_BACKOFF.initialDelay,
    factor: options.factor ?? DEFAULT_BACKOFF.factor,
    maxDelay: options.maxDelay ?? DEFAULT_BACKOFF.maxDelay,
    maxAttempts: options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts,
    stableAfter: options.stableAfter ?? DEFAULT_BACKOFF.stableAfter,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `reconnect option ${name} must be a number ≥ 0, got ${String(value)}`);
    }
  }
  if (settings.factor < 1) throw new UsageError('FW_ERR_INVALID_ARGUMENT', `reconnect option factor must be ≥ 1, got ${settings.factor}`);
  return settings;
}

/** The upper bound of the delay before attempt `n` (0 = the first retry): `min(maxDelay, initialDelay·factor^n)`. */
export function backoffCeiling(settings: BackoffSettings, n: number): number {
  // factor^n overflows to Infinity for large n: min() keeps it at maxDelay, and 0·Infinity (NaN) is 0.
  if (settings.initialDelay === 0) return 0;
  return Math.min(settings.maxDelay, settings.initialDelay * settings.factor ** n);
}

/** Full jitter: a delay drawn uniformly in `[0, backoffCeiling(n)]` with `random()` in `[0, 1)`. */
export function backoffDelay(settings: BackoffSettings, n: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1); // a misbehaving source cannot leave the range
  return Math.floor(r * backoffCeiling(settings, n));
}
