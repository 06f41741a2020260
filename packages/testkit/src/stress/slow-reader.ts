// Check 7: a reader that keeps stopping. The server must hold (or push back
// on) what it cannot send yet and lose nothing: every echo arrives, whole,
// with its type, in order. Payloads are derived from their sequence number,
// so the kit checks each echo without keeping what it sent.
import { noiseBytes } from '../cases/kinds.js';
import { Opcode } from '../frames.js';
import { openAsClient } from '../open.js';
import { Trace } from '../trace.js';
import type { StressCheck } from './check.js';
import { outcome } from './check.js';
import { sleep, tcpConnect } from './raw-client.js';

/** Message sizes, cycled: every length form and a few larger ones. */
export const SLOW_READER_SIZES = [0, 1, 125, 126, 1000, 4096, 16_384, 65_535, 65_536, 100_000] as const;

/** Messages read between two pauses, and the pause. */
const BURST = 32;
const PAUSE_MS = 50;

/**
 * The payload of message `seq`: a decimal sequence prefix (as much as fits)
 * then filler derived from `seq`. Even sequence numbers are text (ASCII
 * filler), odd ones binary (noise), so a swapped type shows too.
 */
export function sequencedPayload(seq: number): { opcode: 1 | 2; data: Buffer } {
  const size = SLOW_READER_SIZES[seq % SLOW_READER_SIZES.length] ?? 0;
  const text = seq % 2 === 0;
  const data = text ? Buffer.alloc(size, 97 + (seq % 26)) : noiseBytes(size, seq + 1);
  const prefix = Buffer.from(`#${seq}#`, 'latin1');
  prefix.copy(data, 0, 0, Math.min(prefix.length, size));
  return { opcode: text ? Opcode.text : Opcode.binary, data };
}

/** The sequence number an echo claims, or null when its prefix does not hold one. */
export function sequenceOf(data: Buffer): number | null {
  const match = /^#(\d+)#/.exec(data.subarray(0, 16).toString('latin1'));
  return match ? Number(match[1]) : null;
}

export const slowReaderCheck: StressCheck = {
  id: 'slow-reader',
  title: 'slow reader loses nothing',
  rule: 'every echo arrives complete, with its type, in order, while the reader pauses the socket between short bursts',
  timeoutMs: (scale) => 60_000 + scale.slowReader * 10,
  rssLimitMiB: () => null,
  async run(ctx) {
    const total = ctx.scale.slowReader;
    const socket = ctx.track(await tcpConnect(ctx.url, 5000));
    const wire = await openAsClient(socket, ctx.url, new Trace(), ctx.deadline, {});
    let sent = 0;
    const writer = (async (): Promise<void> => {
      // wire.send waits for drain, so the kit never queues more than a socket buffer.
      for (; sent < total && !ctx.signal.aborted && !wire.ended; sent++) {
        const { opcode, data } = sequencedPayload(sent);
        await wire.send({ opcode, payload: data });
      }
    })();
    let received = 0;
    let failure = '';
    let bytes = 0;
    while (received < total && !ctx.signal.aborted) {
      const event = await wire.next(ctx.deadline);
      if (event.type !== 'message') {
        failure = `after ${received} of ${total} echoes: ${event.type === 'close' ? `close ${event.code}` : event.type === 'violation' ? `protocol violation: ${event.reason}` : event.type === 'end' ? `connection ended (${event.how})` : 'timed out'}`;
        break;
      }
      const want = sequencedPayload(received);
      if (event.opcode !== want.opcode || !event.data.equals(want.data)) {
        const got = sequenceOf(event.data);
        failure = `echo ${received}: got ${event.opcode === 1 ? 'text' : 'binary'} of ${event.data.length} bytes${got !== null ? ` claiming #${got}` : ''}, expected ${want.opcode === 1 ? 'text' : 'binary'} of ${want.data.length} bytes`;
        break;
      }
      received++;
      bytes += event.data.length;
      if (received % BURST === 0) {
        // Stop reading: the kernel buffers fill and the server has to hold its echoes.
        socket.pause();
        await sleep(PAUSE_MS, ctx.signal);
        socket.resume();
      }
    }
    socket.destroy();
    await writer.catch(() => {});
    const metrics = { sent, received, mib: Math.round(bytes / 10485.76) / 100 };
    if (failure !== '') return outcome('fail', failure, metrics);
    if (received < total) return outcome('fail', `only ${received} of ${total} echoes before the time limit`, metrics);
    return outcome('pass', `${received} echoes, ${metrics.mib} MiB, all complete and in order`, metrics);
  },
};
