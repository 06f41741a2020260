// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// that apply to the Bun.serve path, on BunServeUpgrader under bun:test:
// API gaps (data, peer address, path patterns, several upgraders on one
// Bun.serve), handshake, messages, backpressure, shutdown and topics. The
// scenarios in NOT_ON_THIS_PATH are not registered: each names what Bun.serve
// does differently, and the README's guarantees table says so too.
import { test } from 'bun:test';
import { spawnWithChildProcess, type AdapterApi, type AdapterFixture, type ServerLike, type SessionLike } from '../../codec/test/adapter-behaviour/fixture.js';
import { apiGapsSuite } from '../../codec/test/adapter-behaviour/api-gaps.suite.js';
import { shutdownSuite } from '../../codec/test/adapter-behaviour/shutdown.suite.js';
import { messagesSuite } from '../../codec/test/adapter-behaviour/messages.suite.js';
import { backpressureSuite } from '../../codec/test/adapter-behaviour/backpressure.suite.js';
import { topicsSuite } from '../../codec/test/adapter-behaviour/topics.suite.js';
import { handshakeSuite } from '../../codec/test/adapter-behaviour/handshake.suite.js';
import * as adapter from '../src/index.js';

/** One Bun.serve for `upgraders`: an upgrade goes to the first whose path takes it (the first refuses the rest with 404). */
function serveAll(upgraders: adapter.BunServeUpgrader[]) {
  return Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, server) => {
      const path = new URL(request.url).pathname;
      return (upgraders.find((u) => u.matches(path)) ?? upgraders[0]!).upgrade(request, server);
    },
    websocket: upgraders[0]!.websocket,
  });
}

/** Scenarios (by name prefix) that test what this path does not have, with the reason. */
const NOT_ON_THIS_PATH: ReadonlyArray<readonly [prefix: string, reason: string]> = [
  ['metrics', 'the scenario checks wire bytes; BunServeUpgrader.metrics() counts payload bytes (Bun frames the wire): test/serve.test.ts checks it'],
  ['graceful shutdown: a client that never answers', 'Bun reports a close as soon as it starts, so close() does not wait for a mute peer'],
  ['send side: a peer that never reads is closed with 1008 past maxBufferedAmount, after', 'Bun reports the 1008 close at once (readyState 3, not 2 while queued)'],
  ['topics: two servers on one MemoryBroker', 'topics are Bun-native: no Broker on this path'],
  ["topics: policy 'close'", 'topics are Bun-native: no topicBackpressure policy (Bun closes a subscriber past backpressureLimit)'],
  ["topics: policy 'skip'", 'topics are Bun-native: no topicBackpressure policy'],
  ['a client that never finishes its request', 'Bun.serve reads the request head itself; its own timeout, not handshakeTimeout (stress slow-headers)'],
];

const fixture: AdapterFixture = {
  runtime: 'bun',
  test: (name, fn) => {
    if (NOT_ON_THIS_PATH.some(([prefix]) => name.startsWith(prefix))) return;
    test(`Bun.serve: ${name}`, fn, 90_000);
  },
  api: adapter as unknown as AdapterApi,
  async listen(options = {}) {
    const upgrader = new adapter.BunServeUpgrader(options as adapter.BunServeUpgraderOptions);
    const server = serveAll([upgrader]);
    const close = upgrader.close.bind(upgrader);
    // The suite closes the server it got: stop Bun.serve after the upgrader.
    Object.defineProperty(upgrader, 'close', { value: async (o?: adapter.CloseOptions) => { await close(o); await server.stop(true); } });
    return { server: upgrader as unknown as ServerLike, port: server.port! };
  },
  async listenShared(paths) {
    // The upgraders share the first one's `websocket`: each socket still goes to the upgrader that accepted it.
    const upgraders = paths.map((path) => new adapter.BunServeUpgrader({ path }));
    const server = serveAll(upgraders);
    const close = async (): Promise<void> => {
      await Promise.all(upgraders.map((u) => u.close({ timeout: 300 })));
      await server.stop(true);
    };
    return { servers: upgraders as unknown as ServerLike[], port: server.port!, close };
  },
  async connect(url, { ca, ...options } = {}) {
    const tls = ca === undefined ? {} : { tls: { ca } };
    return (await adapter.connect(url, { ...(options as adapter.ConnectOptions), ...tls })) as unknown as SessionLike;
  },
  remoteAddress: (context) => (context as adapter.BunServeUpgradeContext).server.requestIP((context as adapter.BunServeUpgradeContext).request)?.address ?? '',
  spawn: spawnWithChildProcess,
};

apiGapsSuite(fixture);
shutdownSuite(fixture);
messagesSuite(fixture);
backpressureSuite(fixture);
topicsSuite(fixture);
handshakeSuite(fixture);
