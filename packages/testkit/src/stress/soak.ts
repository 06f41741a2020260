// Check 11: the soak. K connections echo without pause for the whole
// duration while the server's RSS is sampled; a leak shows as a slope.
// Issue 15: Deno raw grew 10.8 MiB/min over 5 minutes of 50 connections.
import { Opcode } from '../frames.js';
import { openAsClient } from '../open.js';
import { Trace } from '../trace.js';
import type { Wire } from '../wire.js';
import type { StressCheck } from './check.js';
import { outcome } from './check.js';
import { pool, tcpConnect } from './raw-client.js';
import type { RssSample } from './rss.js';
import { RssSampler, slopeMiBPerMinute, slopeWithoutJumps } from './rss.js';

/** Share of the samples (after the warm-up period) also left out of the fitted slope: heap sizing settles late. */
export const SOAK_WARMUP_SHARE = 0.25;

/** Rises between samples left out of the judged slope: a heap space sized up in a step or two is not a leak. */
export const SOAK_JUMPS = 2;

const SIZES = [16, 512, 4096] as const;

/** The samples after warm-up. */
export function afterWarmup(samples: readonly RssSample[]): readonly RssSample[] {
  return samples.slice(Math.floor(samples.length * SOAK_WARMUP_SHARE));
}

/** Echo until `until`; resolves with the number of round trips, or throws on a wrong or missing echo. */
async function echoLoop(wire: Wire, id: number, until: number, signal: AbortSignal): Promise<number> {
  let n = 0;
  while (performance.now() < until && !signal.aborted) {
    const size = SIZES[n % SIZES.length] ?? 16;
    const text = n % 2 === 0;
    const payload = Buffer.alloc(size, 97 + ((id + n) % 26));
    await wire.send({ opcode: text ? Opcode.text : Opcode.binary, payload });
    const event = await wire.next(performance.now() + 10_000);
    if (event.type === 'pong') continue;
    if (event.type !== 'message' || event.opcode !== (text ? Opcode.text : Opcode.binary) || !event.data.equals(payload)) {
      throw new Error(`connection ${id}, round trip ${n}: ${event.type === 'message' ? 'wrong echo' : event.type}`);
    }
    n++;
  }
  return n;
}

export const soakCheck: StressCheck = {
  id: 'soak',
  title: 'soak',
  rule: 'every echo is right for the whole duration and the RSS slope (least squares, sampled after the warm-up, first quarter of the samples left out, the two largest rises between samples taken out as heap sizing) stays below the soak bound (1 MiB/min at full scale; loose in CI)',
  timeoutMs: (scale) => (scale.soakWarmupSeconds + scale.soakSeconds) * 1000 + 60_000,
  rssLimitMiB: () => null,
  async run(ctx) {
    const wires: Wire[] = [];
    await pool(ctx.scale.soakConnections, ctx.scale.concurrency, async () => {
      const socket = ctx.track(await tcpConnect(ctx.url, 5000));
      wires.push(await openAsClient(socket, ctx.url, new Trace(), ctx.deadline, {}));
    }, ctx.signal);
    const start = performance.now();
    const warmupEnds = start + ctx.scale.soakWarmupSeconds * 1000;
    const until = warmupEnds + ctx.scale.soakSeconds * 1000;
    // Sampling starts once the load has run through its warm-up.
    let sampler: RssSampler | null = null;
    const startSampling = setTimeout(() => {
      sampler = new RssSampler(ctx.pid, ctx.scale.soakSampleMs, true);
    }, ctx.scale.soakWarmupSeconds * 1000);
    let roundTrips = 0;
    let failure = '';
    await Promise.all(
      wires.map((wire, id) =>
        echoLoop(wire, id, until, ctx.signal).then(
          (n) => {
            roundTrips += n;
          },
          (error: Error) => {
            failure ||= error.message;
          },
        ),
      ),
    );
    clearTimeout(startSampling);
    const series = (sampler as RssSampler | null)?.series ?? [];
    (sampler as RssSampler | null)?.stop();
    const seconds = (performance.now() - start) / 1000;
    const judged = afterWarmup(series);
    const slope = slopeWithoutJumps(judged, SOAK_JUMPS);
    const slopeWithJumps = slopeMiBPerMinute(judged);
    const slopeAll = slopeMiBPerMinute(series);
    const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
    const metrics = {
      connections: wires.length,
      seconds: Math.round(seconds),
      roundTrips,
      roundTripsPerSecond: Math.round(roundTrips / Math.max(seconds, 0.001)),
      warmupSeconds: ctx.scale.soakWarmupSeconds,
      samples: series.length,
      slopeMiBPerMin: round(slope),
      slopeWithJumpsMiBPerMin: round(slopeWithJumps),
      slopeAllMiBPerMin: round(slopeAll),
      // The whole series, so a slope can be judged by eye (at most one sample per period).
      rssSeriesMiB: series.map((s) => s.mib.toFixed(1)).join(' '),
    };
    if (failure !== '') return outcome('fail', failure, metrics, true);
    if (slope === null) return outcome('pass', `${roundTrips} round trips; RSS not measured (no pid)`, metrics, true);
    if (slope >= ctx.scale.soakSlopeLimit) return outcome('fail', `RSS slope ${round(slope)} MiB/min ≥ ${ctx.scale.soakSlopeLimit} MiB/min (${round(slopeWithJumps)} with the two largest rises); series ${metrics.rssSeriesMiB}`, metrics, true);
    return outcome('pass', `${roundTrips} round trips, slope ${round(slope)} MiB/min (bound ${ctx.scale.soakSlopeLimit}; ${round(slopeWithJumps)} with the two largest rises)`, metrics, true);
  },
};
