// Framing and payload lengths (RFC 6455 §5.2, §5.3, §5.4).
import type { Case } from '../case.js';
import { bytesOf, Opcode } from '../frames.js';
import { binary, text } from '../judge.js';
import { informational } from '../verdict.js';
import { asciiText, cutPayload, ECHO_RULES, echoCase, failCase, fragments, noiseBytes } from './kinds.js';

const LIMIT_RULES = `${ECHO_RULES} Non-strict also: refused with 1008/1009 by a size or fragment-count limit (RFC 6455 §10.4).`;
const LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536];
const KIB64 = 65536;
const MIB16 = 16 * 1024 * 1024;

/** The framing cases. */
export function framingCases(): Case[] {
  const cases: Case[] = [];
  for (const kind of ['text', 'binary'] as const) {
    for (const n of LENGTHS) {
      cases.push(echoCase({
        id: `framing.length.${kind}.${n}`,
        area: 'framing',
        title: `${kind} message of ${n} bytes (${n < 126 ? '7-bit' : n < 65536 ? '16-bit' : '64-bit'} length)`,
        rfc: 'RFC 6455 §5.2',
        async play(w) {
          const data = kind === 'text' ? bytesOf(asciiText(n)) : noiseBytes(n, n);
          await w.send({ opcode: kind === 'text' ? Opcode.text : Opcode.binary, payload: data });
          return [kind === 'text' ? text(data) : binary(data)];
        },
      }));
    }
  }

  // The RFC says the shortest length form MUST be used; a receiver may still accept longer ones.
  for (const [form, n] of [[16, 5], [64, 5], [64, 300]] as const) {
    cases.push({
      id: `framing.length.nonminimal.${form}bit-${n}`,
      area: 'framing',
      title: `${n}-byte text sent with a ${form}-bit length`,
      rfc: 'RFC 6455 §5.2',
      rules: 'Informational: the sender broke a MUST, the RFC does not say whether the receiver rejects it. Echo or failure are both recorded.',
      modes: ['server', 'client'],
      async run(ctx) {
        const w = await ctx.open();
        const data = asciiText(n);
        await w.send({ opcode: Opcode.text, payload: data, lengthForm: form });
        const ev = await w.next(ctx.deadline);
        w.destroy();
        if (ev.type === 'message') return informational(`accepted (echoed ${ev.data.length} bytes)`);
        if (ev.type === 'close') return informational(`rejected with close ${ev.code ?? '(no code)'}`);
        return informational(`rejected: ${ev.type}`);
      },
    });
  }

  cases.push(failCase({
    id: 'framing.length.msb-set',
    area: 'framing',
    title: '64-bit length with the most significant bit set',
    rfc: 'RFC 6455 §5.2',
    codes: [1002, 1009],
    async play(w) {
      await w.send({ opcode: Opcode.binary, payload: 'abc', claimedLength: (1n << 63n) + 3n });
    },
  }));

  // Masking: client-to-server frames MUST be masked, server-to-client MUST NOT be.
  for (const kind of ['text', 'ping', 'close'] as const) {
    cases.push(failCase({
      id: `framing.mask.wrong.${kind}`,
      area: 'framing',
      title: `${kind} frame with the wrong masking for its direction`,
      rfc: 'RFC 6455 §5.1, §5.3',
      codes: [1002],
      async play(w, ctx) {
        const opcode = kind === 'text' ? Opcode.text : kind === 'ping' ? Opcode.ping : Opcode.close;
        const payload = kind === 'close' ? Buffer.from([0x03, 0xe8]) : 'masking';
        await w.send({ opcode, payload, mask: ctx.mode === 'client' });
      },
    }));
  }
  cases.push(echoCase({
    id: 'framing.mask.zero-key',
    area: 'framing',
    title: 'masked frame whose key is 00 00 00 00',
    rfc: 'RFC 6455 §5.3',
    modes: ['server'],
    async play(w) {
      await w.send({ opcode: Opcode.text, payload: 'zero key', mask: new Uint8Array(4) });
      return [text('zero key')];
    },
  }));

  // Split writes: the header cut at every position, then payloads cut in pieces.
  for (let k = 1; k <= 8; k++) {
    cases.push(echoCase({
      id: `framing.split.header-at-${k}`,
      area: 'framing',
      title: `200-byte frame written as ${k} byte(s) then the rest`,
      rfc: 'RFC 6455 §5.2',
      async play(w) {
        const data = asciiText(200);
        await w.send({ opcode: Opcode.text, payload: data }, { chunks: [k, 1 << 30], delayMs: 5 });
        return [text(data)];
      },
    }));
  }
  for (const size of [1, 2, 3, 7, 13, 100]) {
    cases.push(echoCase({
      id: `framing.split.chunks-${size}`,
      area: 'framing',
      title: `1000-byte binary frame written in ${size}-byte pieces`,
      rfc: 'RFC 6455 §5.2',
      async play(w) {
        const data = noiseBytes(1000, size);
        await w.send({ opcode: Opcode.binary, payload: data }, { chunks: [size] });
        return [binary(data)];
      },
    }));
  }
  cases.push(echoCase({
    id: 'framing.slow.bytewise',
    area: 'framing',
    title: '20-byte text written one byte every 10 ms',
    rfc: 'RFC 6455 §5.2',
    async play(w) {
      await w.send({ opcode: Opcode.text, payload: 'slow bytes arriving!' }, { chunks: [1], delayMs: 10 });
      return [text('slow bytes arriving!')];
    },
  }));
  cases.push(echoCase({
    id: 'framing.slow.pause-mid-payload',
    area: 'framing',
    title: '2000-byte frame with a 400 ms pause in the middle of the payload',
    rfc: 'RFC 6455 §5.2',
    async play(w) {
      const data = noiseBytes(2000, 7);
      await w.send({ opcode: Opcode.binary, payload: data }, { chunks: [1000, 1 << 30], delayMs: 400 });
      return [binary(data)];
    },
  }));
  for (const n of [10, 100]) {
    cases.push(echoCase({
      id: `framing.batch.${n}`,
      area: 'framing',
      title: `${n} text messages in one TCP write`,
      rfc: 'RFC 6455 §5.2',
      async play(w) {
        const msgs = Array.from({ length: n }, (_, i) => `message ${i}`);
        await w.sendBatch(msgs.map((m) => ({ opcode: Opcode.text, payload: m })));
        return msgs.map((m) => text(m));
      },
    }));
  }

  // 64 KiB and 16 MiB messages cut into frames of many sizes.
  for (const size of [1, 7, 64, 125, 126, 1000, 4096, 65535, 65536]) {
    cases.push(echoCase({
      id: `framing.message-64k.frames-${size}`,
      area: 'framing',
      title: `64 KiB binary message in frames of ${size} bytes`,
      rfc: 'RFC 6455 §5.4',
      timeoutMs: 10_000,
      limitOk: true,
      rules: LIMIT_RULES,
      async play(w) {
        const data = noiseBytes(KIB64, size);
        await w.sendBatch(fragments(Opcode.binary, cutPayload(data, size)));
        return [binary(data)];
      },
    }));
  }
  for (const size of [125, 4096, 65536]) {
    cases.push(echoCase({
      id: `framing.message-64k.text-frames-${size}`,
      area: 'framing',
      title: `64 KiB text message in frames of ${size} bytes`,
      rfc: 'RFC 6455 §5.4',
      timeoutMs: 10_000,
      limitOk: true,
      rules: LIMIT_RULES,
      async play(w) {
        const data = bytesOf(asciiText(KIB64));
        await w.sendBatch(fragments(Opcode.text, cutPayload(data, size)));
        return [text(data)];
      },
    }));
  }
  for (const size of [65536, 1024 * 1024, MIB16]) {
    cases.push(echoCase({
      id: `framing.message-16m.frames-${size}`,
      area: 'framing',
      title: `16 MiB binary message in frames of ${size} bytes`,
      rfc: 'RFC 6455 §5.4',
      timeoutMs: 30_000,
      limitOk: true,
      rules: LIMIT_RULES,
      async play(w) {
        const data = noiseBytes(MIB16, 3);
        await w.sendBatch(fragments(Opcode.binary, cutPayload(data, size)));
        return [binary(data)];
      },
    }));
  }
  return cases;
}
