// The shared judging steps: wait for echoes, close cleanly, expect a failure.
import type { CaseContext } from './case.js';
import { CaseEnd } from './case.js';
import type { FrameSpec } from './frames.js';
import { bytesOf, closePayload, Opcode } from './frames.js';
import { preview } from './trace.js';
import type { Outcome } from './verdict.js';
import { fail, nonStrict, pass, worse } from './verdict.js';
import type { Wire, WireEvent, WriteOptions } from './wire.js';

/** A reply the kit waits for. */
export type Expected =
  | { readonly type: 'message'; readonly opcode: 1 | 2; readonly data: Buffer }
  | { readonly type: 'pong'; readonly data: Buffer };

/** Expect a text echo. */
export const text = (data: Uint8Array | string): Expected => ({ type: 'message', opcode: 1, data: bytesOf(data) });
/** Expect a binary echo. */
export const binary = (data: Uint8Array | string): Expected => ({ type: 'message', opcode: 2, data: bytesOf(data) });
/** Expect a pong with this payload. */
export const pong = (data: Uint8Array | string = ''): Expected => ({ type: 'pong', data: bytesOf(data) });

/** A one-line description of an event for reasons. */
export function describeEvent(ev: WireEvent): string {
  switch (ev.type) {
    case 'message': return `${ev.opcode === 1 ? 'text' : 'binary'} message len=${ev.data.length} ${preview(ev.data, 24)}`;
    case 'pong': return `pong len=${ev.data.length}`;
    case 'close': return `close ${ev.code ?? '(no code)'}${ev.reason ? ` "${ev.reason.slice(0, 40)}"` : ''}`;
    case 'violation': return `a protocol violation: ${ev.reason}`;
    case 'end': return `the connection ending (${ev.how})`;
    case 'timeout': return 'nothing before the time limit';
  }
}

function describeExpected(exp: Expected): string {
  return exp.type === 'pong' ? `pong len=${exp.data.length}` : `${exp.opcode === 1 ? 'text' : 'binary'} echo len=${exp.data.length}`;
}

/** Wait for each expected reply, in order. Ends the case with a fail on anything else. */
export async function expectReplies(ctx: CaseContext, wire: Wire, expected: readonly Expected[]): Promise<void> {
  for (const [i, exp] of expected.entries()) {
    const ev = await wire.next(ctx.deadline);
    const n = expected.length > 1 ? ` (#${i + 1} of ${expected.length})` : '';
    if (exp.type === 'pong' && ev.type === 'pong' && ev.data.equals(exp.data)) continue;
    if (exp.type === 'message' && ev.type === 'message' && ev.opcode === exp.opcode && ev.data.equals(exp.data)) continue;
    if (exp.type === ev.type) {
      throw new CaseEnd(fail(`expected ${describeExpected(exp)}${n}, got a different ${describeEvent(ev)}`));
    }
    throw new CaseEnd(fail(`expected ${describeExpected(exp)}${n}, got ${describeEvent(ev)}`));
  }
}

/** Wait until an event is queued or the connection ended; false on timeout. */
export async function waitForEvent(wire: Wire, until: number): Promise<boolean> {
  while (!wire.hasEvent && !wire.ended && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return wire.hasEvent || wire.ended;
}

/** After the close frames are exchanged: who closes TCP (RFC 6455 §7.1.1: the server first). */
async function finishTcp(ctx: CaseContext, wire: Wire): Promise<Outcome> {
  if (ctx.mode === 'client') {
    // The kit is the server: it closes TCP first, as §7.1.1 asks.
    wire.end();
    return pass();
  }
  const until = Math.min(ctx.deadline, performance.now() + 2000);
  for (;;) {
    const ev = await wire.next(until);
    if (ev.type === 'end') return pass();
    if (ev.type === 'timeout') return nonStrict('the server did not close TCP after the close handshake (RFC 6455 §7.1.1: the server SHOULD close first)');
    if (ev.type === 'violation') return fail(`after the close handshake: ${ev.reason}`);
    return fail(`after the close handshake the server sent ${describeEvent(ev)}`);
  }
}

/** Client mode: the exit code should say how the connection ended. */
async function checkExit(ctx: CaseContext, expectClean: boolean): Promise<Outcome> {
  if (ctx.mode !== 'client') return pass();
  const code = await ctx.clientExit(Math.max(200, Math.min(2000, ctx.deadline - performance.now() + 1000)));
  ctx.trace.add('*', `client exit code ${code ?? '(still running)'}`);
  if (code === null) return nonStrict('the client did not exit after the connection ended');
  if (expectClean && code !== 0) return nonStrict(`the client exited with ${code} after a clean close (driver protocol: 0)`);
  return pass();
}

/**
 * The kit starts the close handshake and judges the reply (RFC 6455 §5.5.1, §7.1.2).
 * @param code null sends a close frame without a body.
 */
export async function closeNormally(ctx: CaseContext, wire: Wire, code: number | null = 1000, reason: string | Uint8Array = '', after: readonly FrameSpec[] = [], how: WriteOptions = {}): Promise<Outcome> {
  const close: FrameSpec = { opcode: Opcode.close, payload: code === null ? '' : closePayload(code, reason) };
  // Frames after the close frame (same write) must be ignored by the peer (RFC 6455 §5.5.1).
  if (after.length > 0) await wire.sendBatch([close, ...after], how);
  else await wire.send(close, how);
  const ev = await wire.next(ctx.deadline);
  let outcome: Outcome;
  if (ev.type === 'close') {
    if (ev.code === code || ev.code === null || ev.code === 1000) outcome = pass(`close handshake completed (${ev.code ?? 'no code'})`);
    else outcome = nonStrict(`replied to close ${code ?? '(no code)'} with close ${ev.code}`);
    outcome = worse(outcome, await finishTcp(ctx, wire));
  } else if (ev.type === 'end') {
    outcome = nonStrict('the peer dropped TCP instead of replying with a close frame (RFC 6455 §5.5.1)');
  } else if (ev.type === 'timeout') {
    return fail('no close frame in reply to the close frame (RFC 6455 §5.5.1)');
  } else if (ev.type === 'violation') {
    return fail(ev.reason);
  } else {
    return fail(`after the kit's close frame, got ${describeEvent(ev)}`);
  }
  return worse(outcome, await checkExit(ctx, true));
}

/** Options of {@link expectFailure}. */
export interface FailureOptions {
  /** Close codes that are exactly right (pass). Other valid codes are non-strict. */
  readonly codes: readonly number[];
  /** Replies that must come before the failure (e.g. the echo of a valid message sent first). */
  readonly before?: readonly Expected[];
}

/**
 * The peer must fail the connection (RFC 6455 §7.1.7): ideally a close frame
 * with one of `codes`, then TCP closes. Dropping TCP is allowed but non-strict.
 */
export async function expectFailure(ctx: CaseContext, wire: Wire, opts: FailureOptions): Promise<Outcome> {
  if (opts.before) await expectReplies(ctx, wire, opts.before);
  const sent = ctx.trace.now();
  const ev = await wire.next(ctx.deadline);
  const after = `after ${Math.round(ctx.trace.now() - sent)} ms`;
  let outcome: Outcome;
  switch (ev.type) {
    case 'close': {
      const expected = opts.codes.join('/');
      if (ev.code !== null && opts.codes.includes(ev.code)) outcome = pass(`failed with close ${ev.code} ${after}`);
      else outcome = nonStrict(`failed with close ${ev.code ?? '(no code)'} ${after}, expected ${expected}`);
      if (!wire.closeSent && !wire.ended) {
        // A good peer answers the close frame (RFC 6455 §5.5.1).
        await wire.send({ opcode: Opcode.close, payload: ev.code === null ? '' : closePayload(ev.code) });
      }
      outcome = worse(outcome, await finishTcp(ctx, wire));
      break;
    }
    case 'end':
      outcome = nonStrict(`dropped TCP without a close frame ${after} (allowed by RFC 6455 §7.1.7, a close frame with ${opts.codes.join('/')} is better)`);
      break;
    case 'timeout':
      return fail('the connection was not failed within the time limit');
    case 'violation':
      return fail(ev.reason);
    default:
      return fail(`the invalid input was not rejected: got ${describeEvent(ev)}`);
  }
  const exit = await checkExit(ctx, false);
  return worse(outcome, exit);
}

/**
 * Fail-fast judging (RFC 6455 §8.1, §5.6): send `first`, give the peer `windowMs`
 * to fail, then send `rest`. Failing only after `rest` is non-strict.
 */
export async function expectFailFast(
  ctx: CaseContext,
  wire: Wire,
  first: () => Promise<void>,
  rest: () => Promise<void>,
  opts: FailureOptions & { readonly windowMs?: number },
): Promise<Outcome> {
  await first();
  if (await waitForEvent(wire, Math.min(ctx.deadline, performance.now() + (opts.windowMs ?? 250)))) {
    return expectFailure(ctx, wire, opts);
  }
  ctx.trace.add('*', 'no failure yet; sending the rest of the message');
  await rest();
  const outcome = await expectFailure(ctx, wire, opts);
  if (outcome.verdict === 'pass') return nonStrict(`not fail-fast: ${outcome.reason}, only once the rest of the message arrived`);
  return outcome;
}

/** Run a case body: replies then a normal close. */
export async function echoThenClose(ctx: CaseContext, wire: Wire, expected: readonly Expected[]): Promise<Outcome> {
  await expectReplies(ctx, wire, expected);
  return closeNormally(ctx, wire);
}
