// The client's HTTP/2 session pool (src/http2-pool.ts) as a registry with
// reference counts, against a model: any sequence of acquires and releases
// over two origins keeps one live session per origin while it is held,
// closes it when the last holder releases, and opens a fresh one after that.
// Real h2c servers on 127.0.0.1; few runs, each a short command sequence.
import type { ClientHttp2Session } from 'node:http2';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHttp2Session } from '../src/http2-pool.js';

const RUNS = Math.max(20, Math.floor(Number(process.env.FW_FUZZ_RUNS ?? 2000) / 100));
const never = { aborted: false, reason: undefined, addEventListener: () => {}, removeEventListener: () => {} };

type Command = { readonly op: 'acquire'; readonly origin: 0 | 1 } | { readonly op: 'release'; readonly pick: number };
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('acquire' as const), origin: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
);

function closed(session: ClientHttp2Session): Promise<void> {
  return session.closed ? Promise.resolve() : new Promise((resolve) => session.once('close', () => resolve()));
}

describe('HTTP/2 session pool', () => {
  const servers: Http2Server[] = [];
  const ports: number[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const server = createServer({ settings: { enableConnectProtocol: true } });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      ports.push((server.address() as AddressInfo).port);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  it('one live session per origin while held, closed after the last release', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
        const held: Array<{ origin: 0 | 1; session: ClientHttp2Session; release: () => void }> = [];
        for (const step of commands) {
          if (step.op === 'acquire') {
            const { session, release } = await acquireHttp2Session({ host: '127.0.0.1', port: ports[step.origin]!, secure: false }, undefined, never);
            const sibling = held.find((h) => h.origin === step.origin);
            // Shared while anyone holds the origin; never a closed session handed out.
            if (sibling !== undefined) expect(session).toBe(sibling.session);
            expect(session.closed || session.destroyed).toBe(false);
            held.push({ origin: step.origin, session, release });
          } else if (held.length > 0) {
            const [gone] = held.splice(step.pick % held.length, 1);
            gone!.release();
            gone!.release(); // idempotent
            if (!held.some((h) => h.origin === gone!.origin)) await closed(gone!.session);
            else expect(gone!.session.closed).toBe(false);
          }
        }
        for (const h of held.splice(0)) h.release();
      }),
      { seed: 0x9001, numRuns: RUNS },
    );
  });
});
