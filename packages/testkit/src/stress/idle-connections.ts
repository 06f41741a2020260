// Check 10: many idle connections at once: what one costs the server in
// RSS, and how fast it completes handshakes. The kit needs one descriptor
// per connection (and the server as many), so the count is capped by the
// soft `ulimit -n` of either process, and the cap is reported.
import type { Socket } from 'node:net';
import type { StressCheck } from './check.js';
import { outcome } from './check.js';
import { openFileLimit } from './rss.js';
import { pool, sleep, upgradeRaw } from './raw-client.js';

/** Descriptors kept free for the probe, the sampler and the runtime itself. */
const FD_RESERVE = 256;

export const idleConnectionsCheck: StressCheck = {
  id: 'idle-connections',
  title: 'idle connections',
  rule: 'every handshake succeeds and the liveness probe works while all are open; reports KiB of server RSS per connection and handshakes/s',
  timeoutMs: (scale) => 60_000 + scale.idle * 10,
  rssLimitMiB: () => null,
  async run(ctx) {
    const limits = [openFileLimit('self'), ctx.pid === null ? null : openFileLimit(ctx.pid)].filter((n): n is number => n !== null);
    const cap = Math.max(0, Math.min(...limits, Number.POSITIVE_INFINITY) - FD_RESERVE);
    const count = Math.min(ctx.scale.idle, cap);
    const capped = count < ctx.scale.idle ? ` (capped from ${ctx.scale.idle} by ulimit -n ${Math.min(...limits)}; raise it to run the full count)` : '';
    const sockets: Socket[] = [];
    let failures = 0;
    let firstError = '';
    const before = ctx.rss.sample();
    const start = performance.now();
    await pool(
      count,
      ctx.scale.concurrency,
      async () => {
        try {
          const { socket } = await upgradeRaw(ctx.url, 10_000);
          // Idle: it sends nothing, but reads (and drops) so a close by the server is seen.
          socket.on('data', () => {});
          socket.resume();
          sockets.push(ctx.track(socket));
        } catch (error) {
          failures++;
          firstError ||= (error as Error).message;
        }
      },
      ctx.signal,
    );
    const seconds = (performance.now() - start) / 1000;
    // Let the server settle (lazy allocations, GC) before reading its RSS.
    await sleep(1000, ctx.signal);
    const after = ctx.rss.sample();
    const during = await ctx.probe();
    const open = sockets.filter((s) => !s.destroyed).length;
    const kibPerConnection = before !== null && after !== null && open > 0 ? Math.round(((after - before) * 1024 * 10) / open) / 10 : null;
    const metrics = {
      requested: ctx.scale.idle,
      opened: sockets.length,
      stillOpen: open,
      failures,
      handshakesPerSecond: Math.round(sockets.length / Math.max(seconds, 0.001)),
      kibPerConnection,
    };
    const problems: string[] = [];
    if (failures > 0) problems.push(`${failures} handshakes failed (first: ${firstError})`);
    if (open < sockets.length) problems.push(`${sockets.length - open} idle connections were dropped`);
    if (!during.ok) problems.push(`liveness probe failed with ${open} open: ${during.reason}`);
    if (problems.length > 0) return outcome('fail', problems.join('; ') + capped, metrics, true);
    return outcome('pass', `${open} open, ${kibPerConnection ?? '?'} KiB each, ${metrics.handshakesPerSecond} handshakes/s${capped}`, metrics, true);
  },
};
