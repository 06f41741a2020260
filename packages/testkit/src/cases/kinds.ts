// The common shapes of cases: "echo this", "fail on this", "fail fast on this",
// plus payload generators. Keeps each area file a list of data.
import type { Area, Case, CaseContext, Mode, OpenOptions } from '../case.js';
import { CaseEnd } from '../case.js';
import type { Expected } from '../judge.js';
import { echoThenClose, expectFailFast, expectFailure } from '../judge.js';
import type { Outcome } from '../verdict.js';
import { nonStrict } from '../verdict.js';
import type { FrameSpec } from '../frames.js';
import type { Wire } from '../wire.js';

/** Both modes. */
export const BOTH: readonly Mode[] = ['server', 'client'];
/** Only when testing a server. */
export const SERVER: readonly Mode[] = ['server'];
/** Only when testing a client. */
export const CLIENT: readonly Mode[] = ['client'];

/** Rules text of echo cases. */
export const ECHO_RULES =
  'Pass: every reply arrives as expected, then the close handshake completes and TCP closes. Non-strict: TCP dropped instead of a close reply, or the server keeps TCP open after the close handshake. Fail: a missing or wrong reply, a protocol violation by the peer, or no answer in time.';

/** Rules text of failure cases. */
export function failRules(codes: readonly number[], fast = false): string {
  return `Pass: the peer fails the connection with close ${codes.join(' or ')}${fast ? ' before the rest of the message is sent' : ''}. Non-strict: another valid close code, TCP dropped without a close frame${fast ? ', or failing only once the whole message arrived' : ''}. Fail: the invalid input is accepted (echoed or answered), a protocol violation by the peer, or the connection stays open.`;
}

interface Common {
  readonly id: string;
  readonly area: Area;
  readonly title: string;
  readonly rfc: string;
  readonly modes?: readonly Mode[];
  readonly timeoutMs?: number;
  readonly open?: OpenOptions;
  readonly rules?: string;
  /** A close with 1008/1009 instead of the echo is a size or count limit: non-strict, not fail (RFC 6455 §10.4). */
  readonly limitOk?: boolean;
}

/** A case whose peer must answer as listed, then close cleanly. `play` sends and returns what to expect. */
export function echoCase(def: Common & { readonly play: (w: Wire, ctx: CaseContext) => Promise<readonly Expected[]> }): Case {
  return {
    id: def.id,
    area: def.area,
    title: def.title,
    rfc: def.rfc,
    rules: def.rules ?? ECHO_RULES,
    modes: def.modes ?? BOTH,
    ...(def.timeoutMs !== undefined ? { timeoutMs: def.timeoutMs } : {}),
    async run(ctx): Promise<Outcome> {
      const wire = await ctx.open(def.open);
      const expected = await def.play(wire, ctx);
      try {
        return await echoThenClose(ctx, wire, expected);
      } catch (err) {
        if (def.limitOk && err instanceof CaseEnd && /got close 100[89]/.test(err.outcome.reason)) {
          return nonStrict(`refused by an implementation limit (RFC 6455 §10.4): ${err.outcome.reason}`);
        }
        throw err;
      }
    },
  };
}

/** A case whose peer must fail the connection. `play` may return replies due before the failure. */
export function failCase(def: Common & { readonly codes: readonly number[]; readonly play: (w: Wire, ctx: CaseContext) => Promise<readonly Expected[] | void> }): Case {
  return {
    id: def.id,
    area: def.area,
    title: def.title,
    rfc: def.rfc,
    rules: def.rules ?? failRules(def.codes),
    modes: def.modes ?? BOTH,
    ...(def.timeoutMs !== undefined ? { timeoutMs: def.timeoutMs } : {}),
    async run(ctx): Promise<Outcome> {
      const wire = await ctx.open(def.open);
      const before = (await def.play(wire, ctx)) ?? [];
      return expectFailure(ctx, wire, { codes: def.codes, before });
    },
  };
}

/** A case whose peer should fail as soon as `first` is sent, before `rest`. */
export function failFastCase(def: Common & {
  readonly codes: readonly number[];
  readonly first: (w: Wire) => Promise<void>;
  readonly rest: (w: Wire) => Promise<void>;
}): Case {
  return {
    id: def.id,
    area: def.area,
    title: def.title,
    rfc: def.rfc,
    rules: def.rules ?? failRules(def.codes, true),
    modes: def.modes ?? BOTH,
    ...(def.timeoutMs !== undefined ? { timeoutMs: def.timeoutMs } : {}),
    async run(ctx): Promise<Outcome> {
      const wire = await ctx.open(def.open);
      return expectFailFast(ctx, wire, () => def.first(wire), () => def.rest(wire), { codes: def.codes });
    },
  };
}

/** Deterministic text of `n` ASCII bytes. */
export function asciiText(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(i * 7 + (i >> 5)) % alphabet.length];
  return s;
}

/** Deterministic pseudo-random bytes (a small LCG; the kit needs repeatable, not secure). */
export function noiseBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Cut `data` into frames of `size` bytes (the last may be shorter); at least one frame. */
export function cutPayload(data: Buffer, size: number): Buffer[] {
  if (data.length === 0) return [data];
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

/** Frame specs of one message cut into `parts` (RFC 6455 §5.4): first frame carries the opcode, the rest are continuations. */
export function fragments(opcode: number, parts: readonly (Buffer | string)[], rsv1 = false): FrameSpec[] {
  return parts.map((payload, i) => ({
    opcode: i === 0 ? opcode : 0,
    payload,
    fin: i === parts.length - 1,
    ...(rsv1 && i === 0 ? { rsv1: true } : {}),
  }));
}
