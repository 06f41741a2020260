// How big each stress check is. Every number is a command-line flag; the
// full scale is what issue 15 asks for by hand, the CI scale keeps all four
// server paths inside a few minutes together.

/** Every size, count, duration and bound the checks use. */
export interface Scale {
  /** Check 1: connections opened and reset at once. */
  readonly rst: number;
  /** Check 2: connections reset mid-handshake, and as many reset mid-frame. */
  readonly rstMid: number;
  /** Check 3: slow-header clients held open together. */
  readonly slowHeaders: number;
  /** Check 3: pause between two bytes of a slow header, ms. */
  readonly slowHeaderIntervalMs: number;
  /** Check 3: the server's handshake timeout, ms (the echo servers use the default, 10 s). */
  readonly handshakeTimeoutMs: number;
  /** Check 3: slack over the handshake timeout before a slow client counts as never dropped, ms. */
  readonly handshakeSlackMs: number;
  /** Check 4: malformed handshake variants sent (the generator has more than 1,853). */
  readonly malformed: number;
  /** Check 5: masked pings written and never read. */
  readonly pings: number;
  /** Check 6: masked binary messages written and never read. */
  readonly pipelined: number;
  /** Check 6: size of each pipelined message, bytes. */
  readonly pipelinedSize: number;
  /** Checks 5 and 6: bound on the server's RSS growth, MiB. */
  readonly floodRssLimitMiB: number;
  /** Check 7: sequenced messages sent to a slow reader. */
  readonly slowReader: number;
  /** Check 8: deflate bombs sent, one connection each. */
  readonly bombs: number;
  /** Check 8: bound on RSS growth while bombed, MiB (the echo servers allow 64 MiB messages). */
  readonly bombRssLimitMiB: number;
  /** Check 9: clients connected when SIGTERM arrives. */
  readonly sigtermClients: number;
  /** Check 10: idle connections held open together. */
  readonly idle: number;
  /** Check 11: soak duration, seconds. */
  readonly soakSeconds: number;
  /** Check 11: connections echoing during the soak. */
  readonly soakConnections: number;
  /** Check 11: seconds of load before sampling starts (JIT, heap sizing and allocator pools are not a leak). */
  readonly soakWarmupSeconds: number;
  /** Check 11: RSS sample period, ms. */
  readonly soakSampleMs: number;
  /** Check 11: bound on the RSS slope, MiB per minute. */
  readonly soakSlopeLimit: number;
  /** Handshakes (or connects) in flight at once where a check opens many connections. */
  readonly concurrency: number;
}

/** The scale of issue 15's "Must show", run by hand. */
export const FULL_SCALE: Scale = Object.freeze({
  rst: 1000,
  rstMid: 200,
  slowHeaders: 500,
  slowHeaderIntervalMs: 3000,
  handshakeTimeoutMs: 10_000,
  handshakeSlackMs: 5000,
  malformed: 1853,
  pings: 1_000_000,
  pipelined: 100_000,
  pipelinedSize: 1024,
  floodRssLimitMiB: 32,
  slowReader: 20_000,
  bombs: 10,
  bombRssLimitMiB: 96,
  sigtermClients: 200,
  idle: 10_000,
  soakSeconds: 1800,
  soakConnections: 50,
  soakWarmupSeconds: 60,
  soakSampleMs: 10_000,
  soakSlopeLimit: 1,
  concurrency: 64,
});

/**
 * The reduced scale for CI (`--ci`). The floods stay large enough that a
 * server queueing every reply grows well past the 32 MiB bound; the soak
 * bound is loose because one heap-size step in 20 s already reads as
 * tens of MiB/min: in CI the soak only catches a gross leak.
 */
export const CI_SCALE: Scale = Object.freeze({
  ...FULL_SCALE,
  rst: 200,
  rstMid: 40,
  slowHeaders: 50,
  slowHeaderIntervalMs: 2000,
  malformed: 600,
  pings: 500_000,
  pipelined: 50_000,
  slowReader: 2000,
  bombs: 2,
  sigtermClients: 50,
  idle: 1000,
  soakSeconds: 20,
  soakWarmupSeconds: 10,
  soakSampleMs: 1000,
  soakSlopeLimit: 120,
});

/** Command-line flag of each scale field, with its help text; the README table is written from this. */
export const SCALE_FLAGS: Readonly<Record<keyof Scale, { readonly flag: string; readonly help: string }>> = {
  rst: { flag: 'rst', help: 'connections opened then reset (check 1)' },
  rstMid: { flag: 'rst-mid', help: 'resets mid-handshake, and as many mid-frame (check 2)' },
  slowHeaders: { flag: 'slow-headers', help: 'slow-header clients (check 3)' },
  slowHeaderIntervalMs: { flag: 'slow-header-interval', help: 'ms between two bytes of a slow header' },
  handshakeTimeoutMs: { flag: 'handshake-timeout', help: "the server's handshake timeout, ms" },
  handshakeSlackMs: { flag: 'handshake-slack', help: 'slack over the handshake timeout, ms' },
  malformed: { flag: 'malformed', help: 'malformed handshake variants (check 4)' },
  pings: { flag: 'pings', help: 'pings written unread (check 5)' },
  pipelined: { flag: 'pipelined', help: 'pipelined messages written unread (check 6)' },
  pipelinedSize: { flag: 'pipelined-size', help: 'bytes per pipelined message' },
  floodRssLimitMiB: { flag: 'flood-rss-limit', help: 'RSS growth bound for the floods, MiB' },
  slowReader: { flag: 'slow-reader', help: 'messages sent to the slow reader (check 7)' },
  bombs: { flag: 'bombs', help: 'deflate bombs (check 8)' },
  bombRssLimitMiB: { flag: 'bomb-rss-limit', help: 'RSS growth bound for the bombs, MiB' },
  sigtermClients: { flag: 'sigterm-clients', help: 'clients connected at SIGTERM (check 9)' },
  idle: { flag: 'idle', help: 'idle connections (check 10)' },
  soakSeconds: { flag: 'soak-seconds', help: 'soak duration, s (check 11)' },
  soakConnections: { flag: 'soak-connections', help: 'echoing connections in the soak' },
  soakWarmupSeconds: { flag: 'soak-warmup', help: 'seconds of soak load before RSS sampling starts' },
  soakSampleMs: { flag: 'soak-sample', help: 'RSS sample period in the soak, ms' },
  soakSlopeLimit: { flag: 'soak-slope-limit', help: 'soak RSS slope bound, MiB/min' },
  concurrency: { flag: 'concurrency', help: 'connections opened in parallel' },
};

/**
 * Apply `--flag N` overrides to a preset. Returns the reason for the first
 * value that is not a finite non-negative number.
 */
export function applyScaleFlags(base: Scale, values: Readonly<Record<string, string | undefined>>): Scale | string {
  const out: Record<string, number> = { ...base };
  for (const [key, { flag }] of Object.entries(SCALE_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const n = Number(raw.replaceAll('_', ''));
    if (!Number.isFinite(n) || n < 0) return `--${flag} needs a non-negative number, got "${raw}"`;
    out[key] = n;
  }
  return out as unknown as Scale;
}
