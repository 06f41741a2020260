// Property: on one connection, whatever mix of its own sends, publishes
// framed once, and publishes compressed once (still deflating on node:zlib's
// thread pool) the server makes, the client receives every message once, in
// the order the server made them. Also: the shared-deflate window parser
// agrees with a model of the negotiated parameters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { ServerRegistry } from '../src/session/server-registry.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { sharedDeflateWindow } from '../src/session/topic-deflate.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { zlibCompressor } from '../src/zlib/index.js';
import { DEFAULT_PARAMS } from './deflate-helpers.js';
import { sessionPair } from './session-helpers.js';

const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 60);

type Step = { kind: 'send' | 'publish' | 'publish-compressed'; size: number };

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('send' as const, 'publish' as const, 'publish-compressed' as const),
  size: fc.integer({ min: 0, max: 3000 }),
});

describe('topics property: one connection keeps the order of everything it is given', () => {
  it('own sends, framed-once publishes and compressed-once publishes arrive once each, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), fc.boolean(), async (steps, contextTakeover) => {
        const clock = new ManualClock();
        const registry = new ServerRegistry({ scheduler: clock, heartbeat: false, topicDeflate: { compressor: zlibCompressor(), threshold: 200 } });
        const params = { ...DEFAULT_PARAMS, serverNoContextTakeover: !contextTakeover };
        const p = sessionPair({
          clock,
          serverConnection: { extension: createDeflateExtension({ role: 'server', params, compressor: zlibCompressor(), threshold: 100 }) },
          clientConnection: { extension: createDeflateExtension({ role: 'client', params, compressor: zlibCompressor() }) },
          server: { extensions: contextTakeover ? 'permessage-deflate' : 'permessage-deflate; server_no_context_takeover' },
        });
        registry.add(p.server);
        p.server.subscribe('t');
        const got: SessionMessage[] = [];
        p.client.on('message', (m) => got.push(m));
        const sent = steps.map((s, i) => `${i}:${s.kind}:`.padEnd(s.size, 'abcdefgh'));
        steps.forEach((s, i) => {
          if (s.kind === 'send') p.server.send(sent[i]!);
          else expect(registry.topics.publish('t', sent[i]!, { compress: s.kind === 'publish-compressed' })).toBe(1);
        });
        for (let i = 0; i < 1000 && got.length < sent.length; i++) await new Promise((resolve) => setTimeout(resolve, 1));
        expect(got).toEqual(sent);
        p.server.terminate();
        registry.topics.dispose();
      }),
      { numRuns: RUNS, seed: 1920 },
    );
  });

  it('sharedDeflateWindow: a window only without server context takeover, the negotiated one or 15', () => {
    const param = fc.oneof(
      fc.constant(['server_no_context_takeover'] as const),
      fc.constant(['client_no_context_takeover'] as const),
      fc.tuple(fc.constant('server_max_window_bits' as const), fc.integer({ min: 8, max: 15 })),
      fc.tuple(fc.constant('client_max_window_bits' as const), fc.integer({ min: 8, max: 15 })),
    );
    fc.assert(
      fc.property(fc.uniqueArray(param, { selector: (p) => p[0], maxLength: 4 }), (params) => {
        const header = ['permessage-deflate', ...params.map((p) => (p.length === 1 ? p[0] : `${p[0]}=${p[1]}`))].join('; ');
        const noContext = params.some((p) => p[0] === 'server_no_context_takeover');
        const bits = params.find((p) => p[0] === 'server_max_window_bits');
        expect(sharedDeflateWindow(header)).toBe(noContext ? (bits === undefined ? 15 : bits[1]) : undefined);
      }),
      { numRuns: RUNS * 10, seed: 1921 },
    );
  });
});
