// permessage-deflate (RFC 7692): negotiation of every parameter combination,
// compressed messages large and fragmented, context takeover, bad input.
import { constants, deflateRawSync } from 'node:zlib';
import type { Case, CaseContext, OpenOptions } from '../case.js';
import { CaseEnd } from '../case.js';
import type { DeflateParams } from '../deflate.js';
import { formatDeflate } from '../deflate.js';
import { bytesOf, Opcode } from '../frames.js';
import { buildRequest, header, newKey } from '../http.js';
import { binary, echoThenClose, expectFailure, expectReplies, text } from '../judge.js';
import { readHead } from '../open.js';
import type { Outcome } from '../verdict.js';
import { fail, informational, nonStrict, pass, worse } from '../verdict.js';
import type { Wire } from '../wire.js';
import { asciiText, BOTH, CLIENT, cutPayload, ECHO_RULES, failRules, fragments, noiseBytes, SERVER } from './kinds.js';

const RFC = 'RFC 7692 §7.1, §7.2';
const OFFER = 'permessage-deflate; client_max_window_bits';
const DEFLATE_ECHO_RULES = `Unimplemented: permessage-deflate not negotiated. Otherwise: ${ECHO_RULES} Compressed replies must inflate with the negotiated context.`;

/** Open with deflate required: server mode offers `offer`, client mode answers with `accept`. */
function deflateOpen(ctx: CaseContext, offer = OFFER, accept: Partial<DeflateParams> = {}): Promise<Wire> {
  const opts: OpenOptions = ctx.mode === 'server' ? { offer, requireDeflate: true } : { accept, requireDeflate: true };
  return ctx.open(opts);
}

/** Messages whose later copies repeat the earlier ones, so context takeover matters; kept under 256 bytes for 8-bit windows. */
function sampleMessages(): string[] {
  const base = 'The quick brown fox jumps over the lazy dog. ';
  return [base.repeat(3), `${base.repeat(2)}again!`, `${base}and once more ${base}`];
}

async function sendCompressed(w: Wire, messages: readonly string[]): Promise<void> {
  for (const m of messages) await w.send({ opcode: Opcode.text, payload: w.compress(m), rsv1: true });
}

function deflateCase(id: string, title: string, modes: Case['modes'], run: Case['run'], rules = DEFLATE_ECHO_RULES, timeoutMs?: number): Case {
  return { id: `deflate.${id}`, area: 'deflate', title, rfc: RFC, rules, modes, run, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

function combos(client: boolean): Partial<DeflateParams>[] {
  const out: Partial<DeflateParams>[] = [];
  const serverBits = client ? [null, 9, 10, 12, 15] : [null, 8, 9, 10, 12, 15];
  const clientBits: (number | true | null)[] = client ? [null, 10, 15] : [null, true, 8, 9, 12, 15];
  for (const snct of [false, true]) {
    for (const cnct of [false, true]) {
      for (const smwb of serverBits) {
        for (const cmwb of clientBits) {
          out.push({ serverNoContextTakeover: snct, clientNoContextTakeover: cnct, serverMaxWindowBits: smwb, clientMaxWindowBits: cmwb });
        }
      }
    }
  }
  return out;
}

function comboName(p: Partial<DeflateParams>): string {
  const parts = [
    p.serverNoContextTakeover ? 'snct' : '',
    p.clientNoContextTakeover ? 'cnct' : '',
    typeof p.serverMaxWindowBits === 'number' ? `smwb${p.serverMaxWindowBits}` : '',
    p.clientMaxWindowBits === true ? 'cmwb' : typeof p.clientMaxWindowBits === 'number' ? `cmwb${p.clientMaxWindowBits}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('-') : 'plain';
}

let bomb: Buffer | null = null;
/** 128 MiB of zeros, deflated once (about 128 KiB). */
function bombPayload(): Buffer {
  bomb ??= deflateRawSync(Buffer.alloc(128 * 1024 * 1024), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  return bomb;
}

/** The permessage-deflate cases. */
export function deflateCases(): Case[] {
  const cases: Case[] = [];

  // Server mode: every offer; the server may shape the response within the rules.
  for (const p of combos(false)) {
    const offer = formatDeflate(p);
    cases.push(deflateCase(`offer.${comboName(p)}`, `offer "${offer}", then 3 compressed messages`, SERVER, async (ctx) => {
      const w = await deflateOpen(ctx, offer);
      const msgs = sampleMessages();
      await sendCompressed(w, msgs);
      return echoThenClose(ctx, w, msgs.map((m) => text(m)));
    }));
  }
  // Client mode: the kit accepts with each parameter set the client's offer allows.
  for (const p of combos(true)) {
    cases.push(deflateCase(`accept.${comboName(p)}`, `accept with "${formatDeflate(p)}" (trimmed to the client's offer), then 3 compressed messages`, CLIENT, async (ctx) => {
      const w = await deflateOpen(ctx, OFFER, p);
      const msgs = sampleMessages();
      await sendCompressed(w, msgs);
      return echoThenClose(ctx, w, msgs.map((m) => text(m)));
    }));
  }

  // Offers the server must decline (or refuse the handshake for).
  const badOffers: [string, string][] = [
    ['smwb-7', 'permessage-deflate; server_max_window_bits=7'],
    ['smwb-16', 'permessage-deflate; server_max_window_bits=16'],
    ['smwb-empty', 'permessage-deflate; server_max_window_bits'],
    ['cmwb-abc', 'permessage-deflate; client_max_window_bits=abc'],
    ['snct-value', 'permessage-deflate; server_no_context_takeover=1'],
    ['duplicate', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['unknown-param', 'permessage-deflate; x_unknown=1'],
  ];
  for (const [name, offer] of badOffers) {
    cases.push(deflateCase(`offer-invalid.${name}`, `invalid offer "${offer}"`, SERVER, async (ctx) => {
      const { socket } = await ctx.raw();
      socket.write(buildRequest({ host: '127.0.0.1', path: '/', key: newKey(), extensions: offer }));
      ctx.trace.add('>', `request offering "${offer}"`);
      const got = await readHead(socket, ctx.deadline);
      ctx.trace.add('<', got ? `${got.head.startLine} extensions=${header(got.head, 'sec-websocket-extensions') ?? '(none)'}` : 'no response');
      if (!got) return nonStrict('closed without an HTTP response');
      if (got.head.status !== 101) return pass(`handshake refused with ${got.head.status}`);
      const ext = header(got.head, 'sec-websocket-extensions');
      return ext ? fail(`accepted an invalid offer: "${ext}"`) : pass('offer declined, connection opened without the extension');
    }, 'Pass: the invalid offer is declined (101 without the extension) or the handshake refused. Non-strict: closed without a response. Fail: the extension accepted.'));
  }
  cases.push(deflateCase('offer-fallback', 'an invalid offer followed by a valid one: the valid one is accepted', SERVER, async (ctx) => {
    let w: Wire;
    try {
      w = await ctx.open({ offer: 'permessage-deflate; server_max_window_bits=7, permessage-deflate' });
    } catch (err) {
      if (err instanceof CaseEnd && err.outcome.reason.startsWith('handshake refused')) return nonStrict(`${err.outcome.reason}: the invalid first offer should be declined, the valid second one accepted (RFC 7692 §5)`);
      throw err;
    }
    if (!w.deflate) {
      const outcome = await echoThenClose(ctx, w, []);
      return worse(nonStrict('declined both offers though the second is valid (RFC 7692 §5)'), outcome);
    }
    await sendCompressed(w, ['fallback works']);
    return echoThenClose(ctx, w, [text('fallback works')]);
  }, 'Pass: the second, valid offer is accepted and works. Non-strict: both declined, or the handshake refused. Fail: a response that fits neither offer.'));

  // Messages, both modes.
  const msgCase = (id: string, title: string, play: (w: Wire, ctx: CaseContext) => Promise<Outcome>, rules = DEFLATE_ECHO_RULES, timeoutMs?: number): void => {
    cases.push(deflateCase(`message.${id}`, title, BOTH, async (ctx) => play(await deflateOpen(ctx), ctx), rules, timeoutMs));
  };
  msgCase('large-compressible-1m', 'a 1 MiB compressible text message', async (w, ctx) => {
    const data = asciiText(1024 * 1024);
    await w.send({ opcode: Opcode.text, payload: w.compress(data), rsv1: true });
    return echoThenClose(ctx, w, [text(data)]);
  }, DEFLATE_ECHO_RULES, 15_000);
  msgCase('large-random-256k', 'a 256 KiB incompressible binary message', async (w, ctx) => {
    const data = noiseBytes(256 * 1024, 11);
    await w.send({ opcode: Opcode.binary, payload: w.compress(data), rsv1: true });
    return echoThenClose(ctx, w, [binary(data)]);
  }, DEFLATE_ECHO_RULES, 10_000);
  for (const size of [1, 7, 100, 4096]) {
    msgCase(`fragmented.frames-${size}`, `a compressed 16 KiB message cut into frames of ${size} bytes (RSV1 on the first only)`, async (w, ctx) => {
      const data = asciiText(16 * 1024);
      await w.sendBatch(fragments(Opcode.text, cutPayload(w.compress(data), size), true));
      return echoThenClose(ctx, w, [text(data)]);
    }, DEFLATE_ECHO_RULES, 10_000);
  }
  msgCase('uncompressed', 'an uncompressed message (RSV1 clear) while deflate is negotiated', async (w, ctx) => {
    await w.send({ opcode: Opcode.text, payload: 'plain text' });
    return echoThenClose(ctx, w, [text('plain text')]);
  });
  msgCase('mixed', 'compressed and uncompressed messages alternating', async (w, ctx) => {
    await w.send({ opcode: Opcode.text, payload: w.compress('one one one'), rsv1: true });
    await w.send({ opcode: Opcode.binary, payload: 'two' });
    await w.send({ opcode: Opcode.binary, payload: w.compress('three three'), rsv1: true });
    await w.send({ opcode: Opcode.text, payload: 'four' });
    return echoThenClose(ctx, w, [text('one one one'), binary('two'), binary('three three'), text('four')]);
  });
  msgCase('empty', 'an empty compressed message', async (w, ctx) => {
    await w.send({ opcode: Opcode.text, payload: w.compress(''), rsv1: true });
    return echoThenClose(ctx, w, [text('')]);
  });
  msgCase('takeover-repeats', '5 identical messages compressed with context takeover when allowed', async (w, ctx) => {
    const m = `${asciiText(200)} repeated`;
    for (let i = 0; i < 5; i++) await w.send({ opcode: Opcode.text, payload: w.compress(m), rsv1: true });
    return echoThenClose(ctx, w, Array.from({ length: 5 }, () => text(m)));
  });
  msgCase('sync-tail-kept', 'compressed payload that still ends with 00 00 FF FF', async (w, ctx) => {
    await w.send({ opcode: Opcode.text, payload: Buffer.concat([w.compress('tail kept'), Buffer.from([0, 0, 0xff, 0xff])]), rsv1: true });
    await expectReplies(ctx, w, [text('tail kept')]);
    return echoThenClose(ctx, w, []);
  });
  for (const [id, title, make] of [
    ['bfinal', 'a message compressed as a final DEFLATE block (BFINAL=1), allowed by RFC 7692 §7.2.3.4', (m: string) => deflateRawSync(bytesOf(m))],
  ] as const) {
    msgCase(id, title, async (w, ctx) => {
      await w.send({ opcode: Opcode.text, payload: make('final block'), rsv1: true });
      const outcome = await echoThenClose(ctx, w, [text('final block')]);
      return outcome.verdict === 'fail' ? nonStrict(`rejected a BFINAL block: ${outcome.reason}`) : outcome;
    }, 'Pass: echoed. Non-strict: rejected (the RFC allows BFINAL blocks, though they are rare).');
  }
  msgCase('rsv1-on-continuation', 'RSV1 set on a continuation frame', async (w, ctx) => {
    const payload = w.compress('continued text');
    await w.sendBatch([{ opcode: Opcode.text, payload: payload.subarray(0, 4), rsv1: true, fin: false }, { opcode: 0, payload: payload.subarray(4), rsv1: true }]);
    return expectFailure(ctx, w, { codes: [1002] });
  }, `Unimplemented: no deflate. ${failRules([1002])}`);
  msgCase('rsv1-on-ping', 'RSV1 set on a ping', async (w, ctx) => {
    await w.send({ opcode: Opcode.ping, payload: 'x', rsv1: true });
    return expectFailure(ctx, w, { codes: [1002] });
  }, `Unimplemented: no deflate. ${failRules([1002])}`);
  msgCase('invalid-data', 'RSV1 frame whose payload is not DEFLATE data', async (w, ctx) => {
    await w.send({ opcode: Opcode.text, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01, 0x02]), rsv1: true });
    return expectFailure(ctx, w, { codes: [1007, 1002] });
  }, `Unimplemented: no deflate. ${failRules([1007, 1002])}`);
  msgCase('invalid-utf8-inside', 'compressed text that inflates to invalid UTF-8', async (w, ctx) => {
    await w.send({ opcode: Opcode.text, payload: w.compress(Buffer.from([0x41, 0xed, 0xa0, 0x80, 0x42])), rsv1: true });
    return expectFailure(ctx, w, { codes: [1007] });
  }, `Unimplemented: no deflate. ${failRules([1007])}`);
  msgCase('bomb-128m', 'a 128 KiB frame that inflates to 128 MiB of zeros', async (w, ctx) => {
    await w.send({ opcode: Opcode.binary, payload: bombPayload(), rsv1: true });
    const ev = await expectFailure(ctx, w, { codes: [1009] });
    if (ev.verdict === 'fail' && /not rejected/.test(ev.reason)) return informational(`inflated all 128 MiB (no message limit below that): ${ev.reason}`);
    return ev;
  }, 'Pass: fails with 1009 (a limit on inflated size). Non-strict: another error code or TCP dropped. Informational: the 128 MiB message accepted. Fail: a protocol violation or a hang.', 20_000);

  // Client mode only: the kit's own replies are compressed; server mode: a server may compress its replies.
  cases.push(deflateCase('server-compresses', 'whether the server compresses its replies', SERVER, async (ctx) => {
    const w = await deflateOpen(ctx);
    const m = asciiText(500);
    await w.send({ opcode: Opcode.text, payload: m });
    const ev = await w.next(ctx.deadline);
    if (ev.type !== 'message') return fail(`expected the echo, got ${ev.type}`);
    const rest = await echoThenClose(ctx, w, []);
    return worse(informational(ev.compressed ? 'replies are compressed' : 'replies are sent uncompressed'), rest);
  }, 'Informational: records whether replies are compressed; a wrong echo or close is still judged.'));
  return cases;
}
