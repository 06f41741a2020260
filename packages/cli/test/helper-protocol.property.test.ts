// The spawn helper's record stream and a program's windows, as properties
// (no helper process here; spawn-helper.property.test.ts and
// helper-flow.test.ts run the real one). Fixed seed; FW_FUZZ_RUNS for more.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HelperChild, PENDING_LIMIT } from '../src/serve/helper-child.js';
import { INPUT_WINDOW, OUTPUT_WINDOW, RECORD_BYTES, RecordReader, type HelperRecord } from '../src/serve/helper-protocol.js';

const settings = { numRuns: Number(process.env.FW_FUZZ_RUNS ?? 200), seed: 42 };

/** Encode records as the helper writes them. */
function encode(records: readonly HelperRecord[]): Buffer {
  return Buffer.concat(
    records.map((record) => {
      const head = Buffer.alloc(RECORD_BYTES);
      head[0] = record.type;
      head.writeUInt32LE(record.id, 4);
      head.writeInt32LE(record.data?.length ?? record.a, 8);
      head.writeInt32LE(record.b, 12);
      return record.data === undefined ? head : Buffer.concat([head, record.data]);
    }),
  );
}

const record: fc.Arbitrary<HelperRecord> = fc.oneof(
  fc.record({ type: fc.constantFrom(1, 2, 3, 6, 7, 8, 9, 10), id: fc.nat(), a: fc.integer({ min: -1, max: 1 << 20 }), b: fc.integer({ min: 0, max: 64 }) }),
  fc.record({ type: fc.constantFrom(4, 5), id: fc.nat(), b: fc.constant(0), data: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) }).map((r) => ({ ...r, a: r.data.length })),
);

describe('RecordReader', () => {
  it('reads the same records whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (records, cuts) => {
        const stream = encode(records);
        const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((x, y) => x - y);
        const reader = new RecordReader();
        const got: HelperRecord[] = [];
        let at = 0;
        for (const point of [...points, stream.length]) {
          // Copies, as a socket hands out fresh buffers: a record must not depend on a chunk's later reuse.
          reader.push(Buffer.from(stream.subarray(at, point)), (r) => got.push(r.data === undefined ? r : { ...r, data: Buffer.from(r.data) }));
          at = point;
        }
        expect(got).toEqual(records.map((r) => (r.data === undefined ? { type: r.type, id: r.id, a: r.a, b: r.b } : r)));
        expect(reader.pendingBytes).toBe(0);
      }),
      settings,
    );
  });
});

/** A HelperChild wired to a recording link. */
function child(): { child: HelperChild; sent: Buffer[]; credits: number[]; ends: number } {
  const state = { sent: [] as Buffer[], credits: [] as number[], ends: 0 };
  const program = new HelperChild({
    input: (data) => state.sent.push(Buffer.from(data)),
    inputEnd: () => state.ends++,
    credit: (bytes) => state.credits.push(bytes),
    kill: () => {},
  });
  return Object.assign(state, { child: program });
}

describe('HelperChild windows', () => {
  it('stdin: never more than INPUT_WINDOW in flight, bytes in order, write() says wait past PENDING_LIMIT, EOF after the last byte', () => {
    const step = fc.oneof(
      fc.record({ write: fc.integer({ min: 0, max: 100_000 }) }),
      fc.record({ taken: fc.integer({ min: 1, max: 80_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const t = child();
        let written = 0;
        let acknowledged = 0;
        let next = 0;
        for (const s of steps) {
          if ('write' in s) {
            const data = Buffer.alloc(s.write);
            for (let i = 0; i < data.length; i++) data[i] = (next + i) % 251;
            next += data.length;
            const room = t.child.write(data);
            written += data.length;
            const sent = t.sent.reduce((sum, b) => sum + b.length, 0);
            expect(room).toBe(written - sent < PENDING_LIMIT);
          } else {
            const sent = t.sent.reduce((sum, b) => sum + b.length, 0);
            const take = Math.min(s.taken, sent - acknowledged);
            acknowledged += take;
            t.child.inputTaken(take);
          }
          const sent = t.sent.reduce((sum, b) => sum + b.length, 0);
          expect(sent - acknowledged).toBeLessThanOrEqual(INPUT_WINDOW);
          expect(sent).toBeLessThanOrEqual(written);
        }
        t.child.endInput();
        // Acknowledge until everything went out.
        for (let guard = 0; guard < 1000; guard++) {
          const sent = t.sent.reduce((sum, b) => sum + b.length, 0);
          if (sent === written) break;
          t.child.inputTaken(sent - acknowledged);
          acknowledged = sent;
        }
        const all = Buffer.concat(t.sent);
        expect(all.length).toBe(written);
        for (let i = 0; i < all.length; i++) if (all[i] !== i % 251) throw new Error(`byte ${i} out of order`);
        expect(t.ends).toBe(1);
      }),
      settings,
    );
  });

  it('stdout: credit only for what the reader was handed (by half windows, so a reader that keeps up never stalls the program), nothing handed while paused, the end after the last chunk', async () => {
    const step = fc.oneof(fc.record({ chunk: fc.integer({ min: 1, max: 9000 }) }), fc.constant('pause' as const), fc.constant('resume' as const));
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const t = child();
        let paused = false;
        let handed = 0;
        let ended = false;
        let inFlight = 0; // granted by the window and credits, not yet arrived
        let arrived = 0;
        t.child.readOutput(
          (chunk) => {
            expect(paused).toBe(false);
            handed += chunk.byteLength;
          },
          () => (ended = true),
        );
        t.child.readErrors(() => {}, () => {});
        for (const s of steps) {
          if (s === 'pause') {
            paused = true;
            t.child.pauseOutput();
          } else if (s === 'resume') {
            paused = false;
            t.child.resumeOutput();
            await Promise.resolve();
          } else {
            // The helper sends only within the window it was given.
            const room = OUTPUT_WINDOW + t.credits.reduce((sum, c) => sum + c, 0) - arrived;
            const size = Math.min(s.chunk, room);
            if (size === 0) continue;
            arrived += size;
            t.child.output(new Uint8Array(size));
          }
          inFlight = OUTPUT_WINDOW + t.credits.reduce((sum, c) => sum + c, 0) - arrived;
          const credited = t.credits.reduce((sum, c) => sum + c, 0);
          // Credit for what was handed out, returned by half windows.
          expect(credited).toBeLessThanOrEqual(handed);
          expect(handed - credited).toBeLessThan(OUTPUT_WINDOW / 2);
          expect(arrived - handed).toBeLessThanOrEqual(OUTPUT_WINDOW);
          expect(inFlight).toBeGreaterThanOrEqual(0);
        }
        t.child.outputEnd();
        t.child.errorsEnd();
        t.child.exited({ code: 0, signal: null });
        if (paused) {
          expect(ended).toBe(arrived === handed);
          paused = false;
          t.child.resumeOutput();
          await Promise.resolve();
        }
        expect(ended).toBe(true);
        expect(handed).toBe(arrived);
        expect(await t.child.closed).toEqual({ code: 0, signal: null });
      }),
      settings,
    );
  });
});
