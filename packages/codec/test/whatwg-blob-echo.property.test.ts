// The WHATWG WebSocket sends a Blob it made for a received message (the
// default binaryType 'blob') without reading it back: its bytes are kept
// beside it. Property: any mix of sends (such Blobs, other Blobs, strings,
// bytes) reaches the peer complete and in call order, and only the Blobs
// this class did not make (or too big to keep) are read. Fixed seed
// (FW_FUZZ_SEED, default 42); FW_FUZZ_RUNS for longer runs.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Scheduler } from '../src/session/index.js';
import { acceptWebSocket, connectWebSocket, type Session } from '../src/session/index.js';
import { streamTransport, toWebSocket, type WebSocket } from '../src/whatwg/index.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 60);
const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
/** Received Blobs up to this size are sent without a read (REMEMBERED_BLOB_LIMIT in websocket.ts). */
const KEPT = 16 * 1024;

const timers: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

async function pair(): Promise<{ ws: WebSocket; client: Session }> {
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
  return { ws: toWebSocket(result.session), client: await upgrade.session };
}

/** What the peer saw, as comparable strings. */
function describeMessage(data: string | Uint8Array | ArrayBuffer, isBinary: boolean): string {
  if (!isBinary) return `text:${String(data)}`;
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
  return `binary:${bytes.length}:${bytes.reduce((sum, byte, i) => (sum + byte * (i + 1)) % 1_000_003, 0)}`;
}

/** `count` messages from `client` (their descriptions), in order. */
function collect(client: Session, count: number): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    if (count === 0) resolve(seen);
    client.on('message', (data, isBinary) => {
      seen.push(describeMessage(data, isBinary));
      if (seen.length === count) resolve(seen);
    });
  });
}

type Send = { kind: 'received'; index: number } | { kind: 'foreign'; bytes: Uint8Array } | { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array };

const bytesArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: KEPT - 2, max: KEPT + 2 }).map((n) => new Uint8Array(n).map((_, i) => i & 0xff)) },
);
const sendArb: fc.Arbitrary<Send> = fc.oneof(
  fc.record({ kind: fc.constant('received' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('foreign' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 20 }) }),
  fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('WebSocket: sending received Blobs (property)', () => {
  it('any mix of sends arrives complete and in order; only Blobs this class did not make (or larger than it keeps) are read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(bytesArb, { minLength: 1, maxLength: 4 }), fc.array(sendArb, { maxLength: 10 }), async (incoming, sends) => {
        const { ws, client } = await pair();
        const received: Blob[] = [];
        const allIn = new Promise<void>((resolve) => {
          ws.onmessage = (event) => {
            received.push((event as MessageEvent).data as Blob);
            if (received.length === incoming.length) resolve();
          };
        });
        for (const bytes of incoming) client.send(bytes);
        await allIn;
        expect(received.every((blob) => blob instanceof Blob)).toBe(true);

        const reads = vi.spyOn(Blob.prototype, 'arrayBuffer');
        try {
          const expected: string[] = [];
          let expectedReads = 0;
          const seen = collect(client, sends.length);
          for (const send of sends) {
            if (send.kind === 'received') {
              const i = send.index % incoming.length;
              const bytes = incoming[i] as Uint8Array;
              if (bytes.length > KEPT) expectedReads++;
              expected.push(describeMessage(bytes, true));
              ws.send(received[i] as Blob);
            } else if (send.kind === 'foreign') {
              expectedReads++;
              expected.push(describeMessage(send.bytes, true));
              ws.send(new Blob([send.bytes as Uint8Array<ArrayBuffer>]));
            } else if (send.kind === 'text') {
              expected.push(`text:${send.text}`);
              ws.send(send.text);
            } else {
              expected.push(describeMessage(send.bytes, true));
              ws.send(send.bytes);
            }
          }
          expect(await seen).toEqual(expected);
          expect(reads).toHaveBeenCalledTimes(expectedReads);
        } finally {
          reads.mockRestore();
          client.terminate();
        }
      }),
      { numRuns: runs, seed },
    );
  }, 120_000);

  it('a received Blob sent at once counts in bufferedAmount synchronously, like any send', async () => {
    const { ws, client } = await pair();
    const blob = new Promise<Blob>((resolve) => (ws.onmessage = (event) => resolve((event as MessageEvent).data as Blob)));
    client.send(new Uint8Array([7, 8, 9]));
    const data = await blob;
    const reads = vi.spyOn(Blob.prototype, 'arrayBuffer');
    const echoed = collect(client, 1);
    ws.send(data);
    expect(ws.bufferedAmount).toBe(3);
    expect(await echoed).toEqual([describeMessage(new Uint8Array([7, 8, 9]), true)]);
    expect(reads).not.toHaveBeenCalled();
    client.terminate();
  });
});
