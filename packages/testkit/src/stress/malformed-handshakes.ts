// Check 4: generated malformed opening handshakes. None may be upgraded; each
// must end in a 4xx/5xx status or a closed connection.
import type { Socket } from 'node:net';
import type { StressCheck } from './check.js';
import { outcome } from './check.js';
import type { HandshakeVariant } from './handshake-variants.js';
import { malformedHandshakes } from './handshake-variants.js';
import { pool, tcpConnect } from './raw-client.js';

/** How the server answered one variant. */
export type MalformedAnswer = 'upgraded' | 'refused' | 'closed' | 'other-status' | 'timeout' | 'no-connect';

/** Classify the first line a server sent back (null: it closed without a status line). */
export function classifyAnswer(statusLine: string | null): MalformedAnswer {
  if (statusLine === null) return 'closed';
  const match = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
  if (!match) return 'other-status';
  const status = Number(match[1]);
  if (status === 101) return 'upgraded';
  return status >= 400 && status <= 599 ? 'refused' : 'other-status';
}

/** Send one variant and wait for a status line or the end of the connection. */
async function answerTo(ctx: Parameters<StressCheck['run']>[0], variant: HandshakeVariant, waitMs: number): Promise<{ answer: MalformedAnswer; line: string }> {
  let socket: Socket;
  try {
    socket = ctx.track(await tcpConnect(ctx.url, 3000));
  } catch {
    return { answer: 'no-connect', line: '' };
  }
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => done({ answer: 'timeout', line: '' }), waitMs);
    function done(result: { answer: MalformedAnswer; line: string }): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    socket.on('data', (data: Buffer) => {
      // Only the status line matters; never keep more than its first bytes.
      got = Buffer.concat([got, data]).subarray(0, 256);
      const eol = got.indexOf('\r\n');
      if (eol !== -1 || got.length >= 256) {
        const line = got.subarray(0, eol === -1 ? got.length : eol).toString('latin1');
        done({ answer: classifyAnswer(line), line });
      }
    });
    // A close before any status line: the server refused by dropping us.
    socket.once('close', () => done({ answer: 'closed', line: '' }));
    // A server that refuses while a huge head is still being written makes the write fail; that is its answer, not ours.
    socket.write(variant.bytes, () => {
      if (variant.endAfterWrite && !socket.destroyed) socket.end();
    });
  });
}

export const malformedHandshakesCheck: StressCheck = {
  id: 'malformed-handshakes',
  title: 'malformed handshakes',
  rule: 'no variant gets a 101; each gets a 4xx/5xx status or a closed connection before the handshake timeout plus slack',
  timeoutMs: (scale) => scale.handshakeTimeoutMs + scale.handshakeSlackMs + 30_000 + scale.malformed * 40,
  rssLimitMiB: () => null,
  async run(ctx) {
    const variants = malformedHandshakes(ctx.url.host, ctx.scale.malformed);
    const counts: Record<MalformedAnswer, number> = { upgraded: 0, refused: 0, closed: 0, 'other-status': 0, timeout: 0, 'no-connect': 0 };
    const bad: string[] = [];
    const waitMs = ctx.scale.handshakeTimeoutMs + ctx.scale.handshakeSlackMs;
    await pool(
      variants.length,
      ctx.scale.concurrency,
      async (i) => {
        const variant = variants[i] as HandshakeVariant;
        const { answer, line } = await answerTo(ctx, variant, waitMs);
        counts[answer]++;
        if (answer !== 'refused' && answer !== 'closed' && bad.length < 12) bad.push(`${variant.name} → ${answer}${line ? ` "${line}"` : ''}`);
      },
      ctx.signal,
    );
    const wrong = counts.upgraded + counts['other-status'] + counts.timeout + counts['no-connect'];
    const metrics = { variants: variants.length, ...counts };
    if (wrong === 0) return outcome('pass', `${variants.length} variants: ${counts.refused} refused with a status, ${counts.closed} closed`, metrics);
    return outcome('fail', `${wrong} of ${variants.length} wrong (${counts.upgraded} upgraded, ${counts['other-status']} other status, ${counts.timeout} no answer); e.g. ${bad.join('; ')}`, metrics);
  },
};
