// Properties of the serve upgraders' shared core: any request (garbage
// included) is answered with an acceptance or a 4xx/5xx refusal and never a
// throw, and over any sequence of upgrades, refusals and closes the counters
// agree with a model of what happened.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accept, reject } from '../src/session/upgrade-server.js';
import { ServeUpgraderCore, type ServeCoreSocket } from '../src/adapter/serve-upgrader-core.js';
import type { CloseInfo } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';

const seed = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const numRuns = Number(process.env['FW_FUZZ_RUNS'] ?? 200);

const VALID: [string, string][] = [
  ['host', 'h'],
  ['upgrade', 'websocket'],
  ['connection', 'upgrade'],
  ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['sec-websocket-version', '13'],
];

class Socket implements ServeCoreSocket {
  messagesReceived = 1;
  messagesSent = 1;
  bytesReceived = 5;
  bytesSent = 7;
  closeInfo: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;
  #resolve!: (info: CloseInfo) => void;
  constructor() {
    this.closed = new Promise((resolve) => (this.#resolve = resolve));
  }
  finish(code: number): void {
    if (this.closeInfo !== undefined) return;
    this.closeInfo = { code, reason: '', wasClean: code !== 1006 };
    this.#resolve(this.closeInfo);
  }
  goingAway(): void {
    this.finish(1001);
  }
  terminate(): void {
    this.finish(1006);
  }
}

const headerArb = fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }));

describe('ServeUpgraderCore properties', () => {
  it('answers any request with an acceptance or a 400-599 refusal, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'get', '', 'G ET'),
        fc.oneof(fc.constant('/'), fc.string({ maxLength: 30 })),
        fc.array(fc.oneof(headerArb, fc.constantFrom(...VALID)), { maxLength: 10 }),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        async (method, target, headers, maxConnections) => {
          const events: number[] = [];
          const core = new ServeUpgraderCore<Socket, null>({ maxConnections, maxHeaderBytes: 512 }, new ManualClock(), {
            rejected: (status) => events.push(status),
            close: () => {},
          });
          const verdict = await core.decide({ method, target, headers }, null, () => ({ remoteAddress: undefined, remotePort: undefined }));
          if (verdict.type === 'refuse') {
            expect(verdict.refusal.status).toBeGreaterThanOrEqual(400);
            expect(verdict.refusal.status).toBeLessThan(600);
            expect(events).toEqual([verdict.refusal.status]);
          } else expect(events).toEqual([]);
          expect(core.pending).toBe(0);
        },
      ),
      { seed, numRuns },
    );
  });

  it('keeps counters that agree with a model over any sequence of upgrades and closes', async () => {
    type Op = { kind: 'upgrade'; hook: 'accept' | 'reject' | 'throw' | 'late'; path: '/ok' | '/other' } | { kind: 'close'; index: number; code: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('upgrade' as const), hook: fc.constantFrom('accept' as const, 'reject' as const, 'throw' as const, 'late' as const), path: fc.constantFrom('/ok' as const, '/other' as const) }),
      fc.record({ kind: fc.constant('close' as const), index: fc.nat({ max: 20 }), code: fc.constantFrom(1000, 1001, 1006, 4000) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), async (ops, maxConnections) => {
        const clock = new ManualClock();
        let hook: 'accept' | 'reject' | 'throw' | 'late' = 'accept';
        const core = new ServeUpgraderCore<Socket, null>(
          {
            path: '/ok',
            maxConnections,
            handshakeTimeout: 50,
            accept: () => {
              if (hook === 'throw') throw new Error('hook');
              if (hook === 'late') return new Promise(() => {});
              return hook === 'accept' ? accept() : reject(403);
            },
          },
          clock,
          { rejected: () => {}, close: () => {} },
        );
        const open: Socket[] = [];
        let accepted = 0;
        let refused = 0;
        const closeCodes = new Map<number, number>();
        for (const op of ops) {
          if (op.kind === 'upgrade') {
            hook = op.hook;
            const pending = core.decide({ method: 'GET', target: op.path, headers: VALID }, null, () => ({ remoteAddress: '127.0.0.1', remotePort: 1 }));
            clock.advance(50);
            const verdict = await pending;
            const expectAccept = op.path === '/ok' && open.length < maxConnections && op.hook === 'accept';
            expect(verdict.type).toBe(expectAccept ? 'accept' : 'refuse');
            if (verdict.type === 'accept') {
              const socket = new Socket();
              core.register(socket);
              open.push(socket);
              accepted++;
            } else refused++;
          } else if (open.length > 0) {
            const [socket] = open.splice(op.index % open.length, 1);
            socket!.finish(op.code);
            await socket!.closed;
            await Promise.resolve();
            closeCodes.set(op.code, (closeCodes.get(op.code) ?? 0) + 1);
          }
          const metrics = core.metrics();
          expect(metrics.connections).toBe(open.length);
          expect(metrics.connectionsTotal).toBe(accepted);
          expect(metrics.handshakesPending).toBe(0);
          expect(metrics.handshakesRefused.reduce((sum, row) => sum + row.count, 0)).toBe(refused);
          expect(metrics.messagesIn).toBe(accepted);
          expect(metrics.bytesOut).toBe(7 * accepted);
          expect(metrics.closeCodes).toEqual([...closeCodes].sort((a, b) => a[0] - b[0]).map(([code, count]) => ({ code, count })));
        }
        expect(clock.pendingTimers).toBe(0);
      }),
      { seed, numRuns: Math.max(1, Math.floor(numRuns / 4)) },
    );
  });
});
