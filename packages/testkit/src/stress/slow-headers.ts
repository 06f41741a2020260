// Check 3: slowloris. Clients that send a valid request head one byte every
// few seconds, so an idle timer never fires; only a deadline on the whole
// handshake frees their slots. Issue 15: behind Deno.serve, 500 of 500 were
// still open after 75 s.
import type { Socket } from 'node:net';
import { newKey } from '../http.js';
import type { StressCheck } from './check.js';
import { outcome } from './check.js';
import type { ProbeResult } from './probe.js';
import { pool, requestBytes, sleep, tcpConnect } from './raw-client.js';

/** One slow client's fate. */
interface SlowClient {
  readonly socket: Socket;
  readonly openedAt: number;
  droppedAfterMs: number | null;
}

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

export const slowHeadersCheck: StressCheck = {
  id: 'slow-headers',
  title: 'slow-header clients',
  rule: 'every client is dropped within the handshake timeout plus slack, and the liveness probe succeeds while they are open',
  timeoutMs: (scale) => scale.handshakeTimeoutMs + scale.handshakeSlackMs + 30_000,
  rssLimitMiB: () => null,
  async run(ctx) {
    const { scale } = ctx;
    const head = requestBytes(ctx.url, newKey());
    const clients: SlowClient[] = [];
    let connectFailures = 0;
    await pool(
      scale.slowHeaders,
      scale.concurrency,
      async () => {
        try {
          const socket = ctx.track(await tcpConnect(ctx.url, 3000));
          const client: SlowClient = { socket, openedAt: performance.now(), droppedAfterMs: null };
          clients.push(client);
          let sent = 0;
          const drip = (): void => {
            if (socket.destroyed || sent >= head.length - 1) return;
            socket.write(head.subarray(sent, sent + 1));
            sent++;
          };
          drip();
          const timer = setInterval(drip, scale.slowHeaderIntervalMs);
          socket.once('close', () => {
            clearInterval(timer);
            client.droppedAfterMs ??= performance.now() - client.openedAt;
          });
          // Flowing, so a FIN (or a 408 and a FIN) from the server is seen at once.
          socket.on('data', () => {});
          socket.resume();
        } catch {
          connectFailures++;
        }
      },
      ctx.signal,
    );
    const limitMs = scale.handshakeTimeoutMs + scale.handshakeSlackMs;
    // The server must keep serving others while its slots are held.
    await sleep(Math.min(2000, scale.handshakeTimeoutMs / 2), ctx.signal);
    const openDuringProbe = clients.filter((c) => c.droppedAfterMs === null).length;
    const during: ProbeResult = await ctx.probe();
    const lastOpened = clients.reduce((max, c) => Math.max(max, c.openedAt), 0);
    while (!ctx.signal.aborted && clients.some((c) => c.droppedAfterMs === null) && performance.now() < lastOpened + limitMs) await sleep(250, ctx.signal);
    const dropped = clients.filter((c) => c.droppedAfterMs !== null && c.droppedAfterMs <= limitMs);
    const stillOpen = clients.length - dropped.length;
    const times = dropped.map((c) => c.droppedAfterMs ?? 0);
    const metrics = {
      clients: clients.length,
      connectFailures,
      dropped: dropped.length,
      stillOpen,
      medianDropMs: times.length > 0 ? Math.round(median(times)) : null,
      maxDropMs: times.length > 0 ? Math.round(Math.max(...times)) : null,
      openDuringProbe,
      probeDuringMs: during.ok ? during.ms : null,
    };
    const problems: string[] = [];
    if (stillOpen > 0) problems.push(`${stillOpen} of ${clients.length} slow clients still open after ${limitMs} ms`);
    if (connectFailures > 0) problems.push(`${connectFailures} connects failed`);
    if (!during.ok) problems.push(`liveness probe failed while ${openDuringProbe} slow clients were open: ${during.reason}`);
    if (problems.length > 0) return outcome('fail', problems.join('; '), metrics);
    return outcome('pass', `all ${clients.length} dropped, median ${metrics.medianDropMs} ms; probe ok with ${openDuringProbe} open`, metrics);
  },
};
