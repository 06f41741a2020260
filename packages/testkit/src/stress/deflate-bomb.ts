// Check 8: a deflate bomb. About 80 KiB on the wire that inflates to 80 MiB,
// past the echo servers' 64 MiB message limit: the server must stop
// inflating at its limit and close with 1009 (RFC 6455 §7.4.1), not grow.
// A server that declines permessage-deflate (Deno.serve) gets the honest
// equivalent instead: an 80 MiB uncompressed message, which must end the
// same way.
import { constants, deflateRawSync } from 'node:zlib';
import { buildFrame, Opcode } from '../frames.js';
import { openAsClient } from '../open.js';
import { Trace } from '../trace.js';
import type { Wire } from '../wire.js';
import type { CheckContext, StressCheck } from './check.js';
import { outcome } from './check.js';
import { sleep, tcpConnect, writeBounded } from './raw-client.js';

const MiB = 1024 * 1024;
/** Inflated size of the bomb: past the echo servers' 64 MiB limit with room to spare. */
export const BOMB_INFLATED_BYTES = 80 * MiB;

let bombPayload: Buffer | null = null;

/**
 * The compressed payload of one message of zeros (RFC 7692 §7.2.1: raw
 * deflate, sync flush, the 4-byte tail removed). Built once; the 80 MiB of
 * zeros is only alive while it is compressed.
 */
export function deflateBomb(): Buffer {
  if (bombPayload) return bombPayload;
  const out = deflateRawSync(Buffer.alloc(BOMB_INFLATED_BYTES), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  bombPayload = out.subarray(0, out.length - 4);
  return bombPayload;
}

/** Write the uncompressed equivalent: one frame header claiming 80 MiB, then the payload in 1 MiB writes. */
async function sendPlainGiant(ctx: CheckContext, wire: Wire): Promise<void> {
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  await wire.sendRaw(buildFrame({ opcode: Opcode.binary, payload: Buffer.alloc(0), claimedLength: BigInt(BOMB_INFLATED_BYTES), mask: key }, true), 'frame head claiming 80 MiB');
  // Zeros masked with `key` are the key repeated.
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < chunk.length; i += 4) key.copy(chunk, i);
  // A server may refuse at the header. Pause after the first 64 KiB so its
  // close frame is read before more bytes arrive: a server that closes with
  // unread input resets the connection, and a reset drops what the kit has not read yet.
  if ((await writeBounded(wire.socket, chunk.subarray(0, 64 * 1024), 3000, ctx.signal)) !== 'written') return;
  await sleep(250, ctx.signal);
  for (let sent = 64 * 1024; sent < BOMB_INFLATED_BYTES && !wire.hasEvent && !wire.ended; sent += MiB) {
    const piece = chunk.subarray(0, Math.min(MiB, BOMB_INFLATED_BYTES - sent));
    // A close or a stall ends the writing.
    if ((await writeBounded(wire.socket, piece, 3000, ctx.signal)) !== 'written') return;
  }
}

/** One bomb on a fresh connection; resolves with what the server did about it. */
async function oneBomb(ctx: CheckContext): Promise<{ result: string; compressed: boolean }> {
  const socket = ctx.track(await tcpConnect(ctx.url, 5000));
  const wire = await openAsClient(socket, ctx.url, new Trace(), ctx.deadline, { offer: 'permessage-deflate' });
  const compressed = wire.deflate !== null;
  const sending = compressed ? wire.send({ opcode: Opcode.binary, rsv1: true, payload: deflateBomb() }) : sendPlainGiant(ctx, wire);
  try {
    for (;;) {
      const event = await wire.next(ctx.deadline);
      if (event.type === 'close') {
        // Answer the close so the server can finish its side.
        await wire.send({ opcode: Opcode.close, payload: event.code === null ? Buffer.alloc(0) : Buffer.from([event.code >> 8, event.code & 0xff]) });
        return { result: `close ${event.code ?? 'without code'}`, compressed };
      }
      if (event.type === 'message') return { result: `echoed ${event.data.length} bytes`, compressed };
      if (event.type === 'pong') continue;
      return { result: event.type === 'end' ? 'TCP closed without a close frame' : event.type === 'violation' ? `violation: ${event.reason}` : 'no answer', compressed };
    }
  } finally {
    socket.destroy();
    await sending.catch(() => {});
  }
}

export const deflateBombCheck: StressCheck = {
  id: 'deflate-bomb',
  title: 'deflate bomb',
  rule: 'every bomb (80 KiB inflating to 80 MiB; an 80 MiB plain message where deflate is declined) ends in close 1009, with RSS growth below the bomb bound (96 MiB: the 64 MiB message limit plus 32)',
  timeoutMs: (scale) => 30_000 + scale.bombs * 10_000,
  rssLimitMiB: (scale) => scale.bombRssLimitMiB,
  async run(ctx) {
    const results: string[] = [];
    let compressed = true;
    for (let i = 0; i < ctx.scale.bombs && !ctx.signal.aborted; i++) {
      const one = await oneBomb(ctx);
      compressed &&= one.compressed;
      results.push(one.result);
    }
    const wrong = results.filter((r) => r !== 'close 1009');
    const form = compressed ? `${deflateBomb().length}-byte compressed bombs` : 'plain 80 MiB messages (permessage-deflate declined)';
    const metrics = { bombs: results.length, closed1009: results.length - wrong.length, wireBytes: compressed ? deflateBomb().length : BOMB_INFLATED_BYTES, deflate: compressed ? 'yes' : 'declined' };
    if (wrong.length > 0) return outcome('fail', `${wrong.length} of ${results.length} ${form} did not end in 1009: ${[...new Set(wrong)].join(', ')}`, metrics);
    return outcome('pass', `${results.length} ${form}, each closed with 1009`, metrics);
  },
};
