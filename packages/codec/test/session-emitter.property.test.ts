// Property test of the session's TypedEmitter: it keeps a lone listener bare
// (no list, no entry object) to save memory per idle connection. After any
// sequence of on / once / off / emit, including listeners that add or remove
// listeners while an emit runs, it calls exactly the listeners, in the order,
// that a plain list of registrations (the emitter as it was) calls, and
// reports the same counts and the same single listener.
// Fixed seed; FW_FUZZ_RUNS for longer runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../src/session/session-emitter.js';

const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 2_000);

interface Events {
  a: () => unknown;
  b: () => unknown;
}
type Name = keyof Events;

class Emitter extends TypedEmitter<Events> {
  fire(event: Name): void {
    this.emit(event, []);
  }
  single(event: Name): unknown {
    return this.singleListener(event);
  }
  protected reportListenerError(): void {}
}

/** The reference: every registration in a list, `once` ones spliced out as they run. */
class Model {
  readonly lists: Record<Name, { fn: () => unknown; once: boolean }[]> = { a: [], b: [] };
  on(event: Name, fn: () => unknown, once: boolean): void {
    this.lists[event].push({ fn, once });
  }
  off(event: Name, fn: () => unknown): void {
    const list = this.lists[event];
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.fn === fn) {
        list.splice(i, 1);
        break;
      }
    }
  }
  fire(event: Name): void {
    const list = this.lists[event];
    for (const entry of list.slice()) {
      if (entry.once) {
        const i = list.indexOf(entry);
        if (i < 0) continue;
        list.splice(i, 1);
      }
      entry.fn();
    }
  }
  count(event: Name): number {
    return this.lists[event].length;
  }
  single(event: Name): unknown {
    const list = this.lists[event];
    return list.length === 1 && !list[0]!.once ? list[0]!.fn : undefined;
  }
}

type Op =
  | { kind: 'on' | 'once' | 'off'; event: Name; listener: number }
  | { kind: 'emit'; event: Name };

const event = fc.constantFrom<Name>('a', 'b');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom<'on' | 'once' | 'off'>('on', 'once', 'off'), event, listener: fc.nat(3) }),
  fc.record({ kind: fc.constant<'emit'>('emit'), event }),
);
/** What listener n does when called, besides logging: nothing, or one registration change. */
const reaction = fc.option(fc.record({ kind: fc.constantFrom<'on' | 'once' | 'off'>('on', 'once', 'off'), event, listener: fc.nat(3) }), {
  nil: undefined,
});

describe('TypedEmitter (bare lone listeners)', () => {
  it('calls, counts and reports single listeners exactly as a plain registration list does', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(reaction, { minLength: 4, maxLength: 4 }), (ops, reactions) => {
        const real = new Emitter();
        const model = new Model();
        const realLog: number[] = [];
        const modelLog: number[] = [];
        // Listener n of each side: logs n, then applies its reaction (once per emit depth to stay finite).
        let depth = 0;
        const make = (log: number[], apply: (o: Op) => void) =>
          Array.from({ length: 4 }, (_, n) => () => {
            log.push(n);
            const r = reactions[n];
            if (r !== undefined && depth < 1) {
              depth++;
              apply(r);
              depth--;
            }
          });
        const realFns: (() => unknown)[] = make(realLog, (o) => applyReal(o));
        const modelFns: (() => unknown)[] = make(modelLog, (o) => applyModel(o));
        function applyReal(o: Op): void {
          if (o.kind === 'emit') real.fire(o.event);
          else if (o.kind === 'off') real.off(o.event, realFns[o.listener]!);
          else real[o.kind](o.event, realFns[o.listener]!);
        }
        function applyModel(o: Op): void {
          if (o.kind === 'emit') model.fire(o.event);
          else if (o.kind === 'off') model.off(o.event, modelFns[o.listener]!);
          else model.on(o.event, modelFns[o.listener]!, o.kind === 'once');
        }
        for (const o of ops) {
          applyReal(o);
          applyModel(o);
          expect(realLog).toEqual(modelLog);
          for (const name of ['a', 'b'] as const) {
            expect(real.listenerCount(name)).toBe(model.count(name));
            const single = model.single(name);
            expect(real.single(name)).toBe(single === undefined ? undefined : realFns[modelFns.indexOf(single as () => unknown)]);
          }
        }
      }),
      { numRuns: RUNS, seed: 2121 },
    );
  });
});
