// Checks 1 and 2: connections reset (RST, SO_LINGER 0) at the worst moments:
// before the server accepted them, in the middle of the request head, in the
// middle of a frame. Issue 15 defect 1: on Deno one such reset killed the
// accept loop, so the port stopped answering for everyone.
import { connect, type Socket } from 'node:net';
import { buildFrame, Opcode } from '../frames.js';
import { newKey } from '../http.js';
import type { CheckContext, StressCheck } from './check.js';
import { outcome } from './check.js';
import { LOOPBACK, pool, portOf, requestBytes, sleep, upgradeRaw } from './raw-client.js';

const CONNECT_TIMEOUT_MS = 3000;
/** Time for the server to read what was sent before the reset lands. */
const SETTLE_MS = 20;

/** Connect and hand the socket to `then` once connected; resolves false when the connect failed. */
function connectThen(ctx: CheckContext, then: (socket: Socket) => Promise<void> | void): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = ctx.track(connect({ host: LOOPBACK, port: portOf(ctx.url), localAddress: LOOPBACK }));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, CONNECT_TIMEOUT_MS);
    socket.on('error', () => {});
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      void Promise.resolve(then(socket)).then(() => resolve(true), () => resolve(true));
    });
  });
}

/** Check 1: connect, then reset at once, N times. */
export const connectRstCheck: StressCheck = {
  id: 'connect-rst',
  title: 'connect + RST',
  rule: 'every connect succeeds (the accept loop keeps accepting) and the server answers the liveness probe afterwards',
  timeoutMs: (scale) => 30_000 + scale.rst * 20,
  rssLimitMiB: () => null,
  async run(ctx) {
    let failed = 0;
    // Reset in the same tick as the connect event: the server usually accepts an already-reset socket.
    await pool(
      ctx.scale.rst,
      ctx.scale.concurrency,
      async () => {
        if (!(await connectThen(ctx, (socket) => void socket.resetAndDestroy()))) failed++;
      },
      ctx.signal,
    );
    await sleep(250, ctx.signal);
    const reason = failed === 0 ? `${ctx.scale.rst} resets` : `${failed} of ${ctx.scale.rst} connects failed or timed out (is the accept loop still running?)`;
    return outcome(failed === 0 ? 'pass' : 'fail', reason, { resets: ctx.scale.rst, connectFailures: failed });
  },
};

/** Check 2: reset after half a request head, and after half a frame on an open connection. */
export const rstMidCheck: StressCheck = {
  id: 'rst-mid',
  title: 'RST mid-handshake / mid-frame',
  rule: 'the server survives resets after half a request head and after half a frame (upgrade succeeds first), and answers the liveness probe',
  timeoutMs: (scale) => 30_000 + scale.rstMid * 100,
  rssLimitMiB: () => null,
  async run(ctx) {
    let handshakeFailures = 0;
    let upgradeFailures = 0;
    const head = requestBytes(ctx.url, newKey());
    await pool(
      ctx.scale.rstMid,
      ctx.scale.concurrency,
      async () => {
        const ok = await connectThen(ctx, async (socket) => {
          socket.write(head.subarray(0, head.length >> 1));
          await sleep(SETTLE_MS);
          socket.resetAndDestroy();
        });
        if (!ok) handshakeFailures++;
      },
      ctx.signal,
    );
    // A 1 KiB binary frame, cut after its header and half its payload.
    const frame = buildFrame({ opcode: Opcode.binary, payload: Buffer.alloc(1024, 0x61) }, true);
    const half = frame.subarray(0, 8 + 512);
    await pool(
      ctx.scale.rstMid,
      ctx.scale.concurrency,
      async () => {
        try {
          const up = await upgradeRaw(ctx.url, CONNECT_TIMEOUT_MS);
          ctx.track(up.socket);
          up.socket.write(half);
          await sleep(SETTLE_MS);
          up.socket.resetAndDestroy();
        } catch {
          upgradeFailures++;
        }
      },
      ctx.signal,
    );
    await sleep(250, ctx.signal);
    const failures = handshakeFailures + upgradeFailures;
    const reason =
      failures === 0
        ? `${ctx.scale.rstMid} + ${ctx.scale.rstMid} resets`
        : `${handshakeFailures} connects and ${upgradeFailures} upgrades failed during the resets`;
    return outcome(failures === 0 ? 'pass' : 'fail', reason, { midHandshake: ctx.scale.rstMid, midFrame: ctx.scale.rstMid, handshakeFailures, upgradeFailures });
  },
};
