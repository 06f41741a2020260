// Checks 5 and 6: a peer that writes as fast as it can and never reads.
// Whatever the server answers (pongs, echoes) piles up on its side; the rule
// is that its memory does not. Issue 15 defect 2: 1,000,000 unread pings
// grew Node by 255 MiB. The kit's own memory stays flat: one pre-built
// batch is written again and again, and the server's answers are read only
// at the end, frame by frame, and dropped.
import type { Socket } from 'node:net';
import { buildFrame, FrameParser, Opcode } from '../frames.js';
import type { CheckContext, CheckOutcome, StressCheck } from './check.js';
import { outcome } from './check.js';
import type { WriteEnd } from './raw-client.js';
import { sleep, upgradeRaw, writeBounded } from './raw-client.js';

/** No drain for this long: the server has stopped reading (backpressure). */
const STALL_MS = 3000;
/** After the last write, time for the server to work through what it read. */
const SETTLE_MS = 2000;
/** Frames per write. */
const BATCH = 256;

/** What the server sent back once the kit started reading. */
interface Drained {
  readonly frames: number;
  readonly closeCode: number | null;
  readonly ended: boolean;
  /** The socket error that ended it (ECONNRESET: unread bytes, a close frame among them, were lost to a reset). */
  readonly error: string | null;
}

/** Read and drop the server's frames for at most `ms`, remembering only a close code. */
function drain(socket: Socket, ms: number): Promise<Drained> {
  return new Promise((resolve) => {
    const parser = new FrameParser();
    let frames = 0;
    let closeCode: number | null = null;
    let error: string | null = null;
    const finish = (ended: boolean): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      resolve({ frames, closeCode, ended, error });
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      error = err.code ?? err.message;
    };
    const onData = (data: Buffer): void => {
      for (const frame of parser.push(data).frames) {
        frames++;
        if (frame.opcode === Opcode.close) {
          closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
          return finish(false);
        }
      }
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.once('close', () => finish(true));
    if (socket.destroyed) return finish(true);
    socket.resume();
  });
}

/** Write `count` copies of `frame` without reading; returns how many went out and why the writing stopped. */
async function flood(ctx: CheckContext, socket: Socket, frame: Buffer, count: number): Promise<{ written: number; end: WriteEnd }> {
  const batch = Buffer.concat(Array.from({ length: BATCH }, () => frame));
  let written = 0;
  let end: WriteEnd = 'written';
  while (written < count && end === 'written') {
    const n = Math.min(BATCH, count - written);
    end = await writeBounded(socket, n === BATCH ? batch : batch.subarray(0, n * frame.length), STALL_MS, ctx.signal);
    if (end === 'written') written += n;
  }
  return { written, end };
}

/** The shared body of both floods. */
async function runFlood(ctx: CheckContext, frame: Buffer, count: number, what: string): Promise<CheckOutcome> {
  const up = await upgradeRaw(ctx.url, 5000);
  const socket = ctx.track(up.socket);
  // readHead left the socket paused: from here on nothing is read until the end.
  const start = performance.now();
  const { written, end } = await flood(ctx, socket, frame, count);
  const writeMs = performance.now() - start;
  await sleep(SETTLE_MS, ctx.signal);
  ctx.rss.sample();
  const drained = await drain(socket, 2000);
  const how =
    end === 'written'
      ? `all ${written} ${what} written`
      : end === 'stalled'
        ? `server stopped reading after ${written} ${what} (backpressure)`
        : end === 'closed'
          ? `server closed the connection after ${written} ${what}`
          : `stopped after ${written} ${what} (timeout)`;
  const closeNote =
    drained.closeCode !== null
      ? `, close ${drained.closeCode}`
      : drained.ended
        ? `, connection ${drained.error === 'ECONNRESET' ? 'reset (a close frame may have been lost with the unread bytes)' : 'closed without a close frame'}`
        : '';
  return outcome('pass', `${how}${closeNote}`, {
    written,
    writeStopped: end,
    writeMiBps: Math.round(((written * frame.length) / 1048.576 / Math.max(1, writeMs)) * 10) / 10,
    framesReadBack: drained.frames,
    closeCode: drained.closeCode,
  });
}

export const pingFloodCheck: StressCheck = {
  id: 'ping-flood',
  title: 'ping flood, unread',
  rule: 'RSS growth below the flood bound (32 MiB) while the peer never reads; closing the peer (1008) is a pass',
  timeoutMs: (scale) => 60_000 + scale.pings / 10,
  rssLimitMiB: (scale) => scale.floodRssLimitMiB,
  run(ctx) {
    // The largest control payload, so each queued pong costs the most.
    const ping = buildFrame({ opcode: Opcode.ping, payload: Buffer.alloc(125, 0x70) }, true);
    return runFlood(ctx, ping, ctx.scale.pings, 'pings');
  },
};

export const pipelinedFloodCheck: StressCheck = {
  id: 'pipelined-flood',
  title: 'pipelined messages, unread',
  rule: 'RSS growth below the flood bound (32 MiB) while the peer never reads its echoes',
  timeoutMs: (scale) => 60_000 + scale.pipelined / 5,
  rssLimitMiB: (scale) => scale.floodRssLimitMiB,
  run(ctx) {
    const payload = Buffer.alloc(ctx.scale.pipelinedSize);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const message = buildFrame({ opcode: Opcode.binary, payload }, true);
    return runFlood(ctx, message, ctx.scale.pipelined, 'messages');
  },
};
