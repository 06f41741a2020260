// Property test of the WHATWG WebSocket's `message` listener registry (it
// skips building events while nobody listens): after any sequence of
// addEventListener / removeEventListener calls (same or different
// listeners, capture or not, once or not) and `onmessage` changes, every
// message reaches exactly the listeners a plain EventTarget would call.
// Fixed seed (FW_FUZZ_SEED, default 42); FW_FUZZ_RUNS for longer runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scheduler } from '../src/session/index.js';
import { acceptWebSocket, connectWebSocket, type Session } from '../src/session/index.js';
import { streamTransport, toWebSocket, type WebSocket } from '../src/whatwg/index.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 150);
const seed = Number(process.env.FW_FUZZ_SEED ?? 42);

const timers: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A server-side WebSocket and the client session talking to it over in-memory pipes. */
async function pair(): Promise<{ ws: WebSocket; client: Session; server: Session }> {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  const serverTransport = streamTransport({ readable: ab.readable, writable: ba.writable });
  const accepted = acceptWebSocket(serverTransport, { scheduler: timers });
  serverTransport.attach(accepted);
  const clientTransport = streamTransport({ readable: ba.readable, writable: ab.writable });
  const upgrade = connectWebSocket(clientTransport, { url: 'ws://pipe/', scheduler: timers });
  clientTransport.attach(upgrade);
  const result = await accepted.result;
  if (result.type !== 'accepted') throw new Error(result.type);
  return { ws: toWebSocket(result.session), client: await upgrade.session, server: result.session };
}

type Op =
  | { kind: 'add'; listener: number; capture: boolean; once: boolean }
  | { kind: 'remove'; listener: number; capture: boolean }
  | { kind: 'handler'; listener: number | null }
  | { kind: 'message' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), listener: fc.integer({ min: 0, max: 1 }), capture: fc.boolean(), once: fc.boolean() }),
  fc.record({ kind: fc.constant('remove' as const), listener: fc.integer({ min: 0, max: 1 }), capture: fc.boolean() }),
  fc.record({ kind: fc.constant('handler' as const), listener: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }) }),
  fc.constant({ kind: 'message' as const }),
);

describe('WebSocket message listeners (property)', () => {
  it('each message reaches the listeners a plain EventTarget would call, no more, no fewer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const { ws, client, server } = await pair();
        // The reference: a plain EventTarget given the same calls.
        const reference = new EventTarget();
        const calls: { ours: string[]; theirs: string[] } = { ours: [], theirs: [] };
        const ours = [0, 1, 2].map((i) => () => void calls.ours.push(`L${i}`));
        const theirs = [0, 1, 2].map((i) => () => void calls.theirs.push(`L${i}`));
        let handler: ((event: Event) => void) | undefined;
        let sent = 0;
        for (const step of ops) {
          if (step.kind === 'add') {
            ws.addEventListener('message', ours[step.listener]!, { capture: step.capture, once: step.once });
            reference.addEventListener('message', theirs[step.listener]!, { capture: step.capture, once: step.once });
          } else if (step.kind === 'remove') {
            ws.removeEventListener('message', ours[step.listener]!, step.capture);
            reference.removeEventListener('message', theirs[step.listener]!, step.capture);
          } else if (step.kind === 'handler') {
            // onmessage is one more listener, kept in place while replaced, removed by null.
            const index = step.listener;
            ws.onmessage = index === null ? null : () => void calls.ours.push(`H${index}`);
            if (index === null) {
              if (handler !== undefined) reference.removeEventListener('message', handler);
              handler = undefined;
            } else if (handler === undefined) {
              const current = { index };
              handler = () => void calls.theirs.push(`H${current.index}`);
              (handler as unknown as { current: typeof current }).current = current;
              reference.addEventListener('message', handler);
            } else {
              (handler as unknown as { current: { index: number } }).current.index = index;
            }
          } else {
            const text = `m${sent++}`;
            // A session listener added after the wrapper's runs once the wrapper has dispatched (or skipped) the event.
            const done = new Promise<void>((resolve) => server.once('message', () => resolve()));
            client.send(text);
            reference.dispatchEvent(new Event('message'));
            await done;
          }
        }
        client.close(1000);
        expect(calls.ours).toEqual(calls.theirs);
      }),
      { numRuns: runs, seed },
    );
  }, 120_000);
});
