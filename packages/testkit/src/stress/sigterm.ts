// Check 9: SIGTERM while clients are busy. A graceful shutdown sends every
// open connection a close frame with 1001 "going away" (RFC 6455 §7.4.1)
// before the process exits. Issue 15: behind Deno.serve, 16 of 200 clients
// got no 1001. This check ends the server, so the runner plays it last.
import { closePayload, Opcode } from '../frames.js';
import { openAsClient } from '../open.js';
import { Trace } from '../trace.js';
import type { Wire } from '../wire.js';
import type { StressCheck } from './check.js';
import { outcome } from './check.js';
import { processAlive } from './rss.js';
import { pool, sleep, tcpConnect } from './raw-client.js';

/** How long after SIGTERM a client may wait for its close frame: the echo servers' close timeout (2 s) plus slack. */
const CLOSE_WAIT_MS = 7000;
/** How long the process may take to exit after SIGTERM. */
const EXIT_WAIT_MS = 10_000;

/**
 * Echo small messages until the server's close frame arrives; answer it.
 * Resolves with the close code, or a word for how the connection ended.
 */
async function busyUntilClosed(wire: Wire, id: number, closeBy: () => number): Promise<string> {
  for (let n = 0; ; n++) {
    if (!wire.closeSent && !wire.ended) await wire.send({ opcode: Opcode.text, payload: `client ${id} message ${n}` });
    const event = await wire.next(closeBy());
    if (event.type === 'message' || event.type === 'pong') continue;
    if (event.type === 'close') {
      if (!wire.ended) await wire.send({ opcode: Opcode.close, payload: closePayload(event.code ?? 1000) });
      return String(event.code ?? 'no code');
    }
    return event.type === 'end' ? 'no close frame' : event.type === 'timeout' ? 'no close in time' : 'violation';
  }
}

export const sigtermCheck: StressCheck = {
  id: 'sigterm',
  title: 'SIGTERM under load',
  rule: 'every connected client receives a close frame with 1001 and the server process exits within 10 s',
  timeoutMs: (scale) => 40_000 + scale.sigtermClients * 50,
  rssLimitMiB: () => null,
  async run(ctx) {
    const pid = ctx.pid;
    if (pid === null) return outcome('skip', 'needs the server pid (--pid) to send SIGTERM', {});
    const wires: Wire[] = [];
    let connectFailures = 0;
    await pool(
      ctx.scale.sigtermClients,
      ctx.scale.concurrency,
      async () => {
        try {
          const socket = ctx.track(await tcpConnect(ctx.url, 5000));
          wires.push(await openAsClient(socket, ctx.url, new Trace(), ctx.deadline, {}));
        } catch {
          connectFailures++;
        }
      },
      ctx.signal,
    );
    let closeBy = ctx.deadline;
    const endings = wires.map((wire, i) => busyUntilClosed(wire, i, () => closeBy).catch(() => 'error'));
    // Let the load run before the signal.
    await sleep(500, ctx.signal);
    const signalledAt = performance.now();
    closeBy = signalledAt + CLOSE_WAIT_MS;
    process.kill(pid, 'SIGTERM');
    const codes = await Promise.all(endings);
    let exitMs: number | null = null;
    while (performance.now() < signalledAt + EXIT_WAIT_MS) {
      if (!processAlive(pid)) {
        exitMs = Math.round(performance.now() - signalledAt);
        break;
      }
      await sleep(50);
    }
    const tally: Record<string, number> = {};
    for (const code of codes) tally[code] = (tally[code] ?? 0) + 1;
    const got1001 = tally['1001'] ?? 0;
    const metrics = { clients: wires.length, connectFailures, got1001, exitMs, endings: JSON.stringify(tally) };
    const problems: string[] = [];
    if (connectFailures > 0) problems.push(`${connectFailures} clients could not connect`);
    if (got1001 < wires.length) problems.push(`${wires.length - got1001} of ${wires.length} clients got no 1001 (${Object.entries(tally).map(([k, v]) => `${k}: ${v}`).join(', ')})`);
    if (exitMs === null) problems.push(`the process was still running ${EXIT_WAIT_MS} ms after SIGTERM`);
    if (problems.length > 0) return outcome('fail', problems.join('; '), metrics);
    return outcome('pass', `${got1001} of ${wires.length} got 1001; exited after ${exitMs} ms`, metrics);
  },
};
