// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// that apply to the Bun.serve path, on BunServeUpgrader under bun:test:
// the API-gaps suite (data from the accept hook, the peer's address, path
// patterns, several upgraders on one Bun.serve routed by path). Its metrics
// scenario is not registered: BunServeUpgrader has no metrics() yet (README).
import { test } from 'bun:test';
import { spawnWithChildProcess, type AdapterApi, type AdapterFixture, type ServerLike, type SessionLike } from '../../codec/test/adapter-behaviour/fixture.js';
import { apiGapsSuite } from '../../codec/test/adapter-behaviour/api-gaps.suite.js';
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

const fixture: AdapterFixture = {
  runtime: 'bun',
  test: (name, fn) => {
    if (name.startsWith('metrics')) return; // not on this path yet: see the header
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
