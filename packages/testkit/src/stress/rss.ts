// The server's resident memory, read from outside through /proc: the only
// view that works the same for Node, Deno and Bun and includes native
// buffers (zlib, sockets) that a heap snapshot would miss.
import { readFileSync } from 'node:fs';

const KiB = 1024;

/** VmRSS of a process in MiB, or null when it cannot be read (gone, no /proc, no pid). */
export function readRssMiB(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / KiB : null;
  } catch {
    return null;
  }
}

/** Whether a process is still there (and not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** The soft limit on open files of a process ("Max open files" in /proc/PID/limits), or null. */
export function openFileLimit(pid: number | 'self'): number | null {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, 'latin1');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!match) return null;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return null;
  }
}

/** One RSS reading: ms since the sampler started, MiB. */
export interface RssSample {
  readonly t: number;
  readonly mib: number;
}

/**
 * Least-squares slope of RSS over time, in MiB per minute. Null with fewer
 * than two samples or no spread in time. A fitted line, not last − first, so
 * one garbage-collection dip at either end does not decide the verdict.
 */
export function slopeMiBPerMinute(samples: readonly RssSample[]): number | null {
  const n = samples.length;
  if (n < 2) return null;
  let sumT = 0;
  let sumM = 0;
  for (const s of samples) {
    sumT += s.t;
    sumM += s.mib;
  }
  const meanT = sumT / n;
  const meanM = sumM / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - meanT) * (s.mib - meanM);
    den += (s.t - meanT) ** 2;
  }
  if (den === 0) return null;
  return (num / den) * 60_000;
}

/**
 * The least-squares slope after the `jumps` largest rises between
 * consecutive samples are taken out (each later sample lowered by them). A
 * runtime sizes a heap space in one or two steps (Deno's young generation:
 * +55 MiB within 2 s, then flat for the rest of a 30 s soak), which a short
 * window would read as a leak; a leak keeps rising sample after sample and
 * loses only those few rises.
 */
export function slopeWithoutJumps(samples: readonly RssSample[], jumps: number): number | null {
  const rises: { index: number; by: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const by = (samples[i]?.mib ?? 0) - (samples[i - 1]?.mib ?? 0);
    if (by > 0) rises.push({ index: i, by });
  }
  rises.sort((a, b) => b.by - a.by);
  const removed = new Map(rises.slice(0, Math.max(0, jumps)).map((r) => [r.index, r.by]));
  let lowered = 0;
  const adjusted = samples.map((s, i) => {
    lowered += removed.get(i) ?? 0;
    return { t: s.t, mib: s.mib - lowered };
  });
  return slopeMiBPerMinute(adjusted);
}

/**
 * Reads a process's RSS on a timer and keeps the baseline, the peak and,
 * when asked, every sample (the soak). Memory stays bounded: samples are kept
 * only for the soak, at one per period.
 */
export class RssSampler {
  readonly baseline: number | null;
  private peakMiB: number | null;
  private lastMiB: number | null;
  private readonly samples: RssSample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly start = performance.now();

  constructor(
    private readonly pid: number | null,
    periodMs = 200,
    private readonly keepSamples = false,
  ) {
    this.baseline = readRssMiB(pid);
    this.peakMiB = this.baseline;
    this.lastMiB = this.baseline;
    if (keepSamples && this.baseline !== null) this.samples.push({ t: 0, mib: this.baseline });
    this.timer = setInterval(() => this.sample(), periodMs);
    // The sampler must never keep a finished run alive.
    this.timer.unref();
  }

  /** Take a reading now (also called by the timer). */
  sample(): number | null {
    const mib = readRssMiB(this.pid);
    if (mib === null) return null;
    this.lastMiB = mib;
    if (this.peakMiB === null || mib > this.peakMiB) this.peakMiB = mib;
    if (this.keepSamples) this.samples.push({ t: performance.now() - this.start, mib });
    return mib;
  }

  /** Highest reading so far. */
  get peak(): number | null {
    return this.peakMiB;
  }

  /** Latest reading. */
  get last(): number | null {
    return this.lastMiB;
  }

  /** Peak minus baseline, MiB (null when RSS cannot be read). */
  get growth(): number | null {
    return this.peakMiB === null || this.baseline === null ? null : this.peakMiB - this.baseline;
  }

  /** Samples kept so far (soak only). */
  get series(): readonly RssSample[] {
    return this.samples;
  }

  /** Stop the timer after one last reading. */
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}
