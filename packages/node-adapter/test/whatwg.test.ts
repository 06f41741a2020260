// The WHATWG WebSocket and WebSocketStream suite (packages/codec/test/
// adapter-behaviour/whatwg.suite.ts) on Node, with undici's WebSocket on Node
// 20 and the global one on Node 22+ as the differential peer.
import { test } from 'vitest';
import { WebSocket as UndiciWebSocket } from 'undici';
import { spawnWithChildProcess, type AdapterApi, type AdapterFixture, type ServerLike, type SessionLike } from '../../codec/test/adapter-behaviour/fixture.js';
import { whatwgSuite, type WhatwgApi } from '../../codec/test/adapter-behaviour/whatwg.suite.js';
import type { WebSocketClass } from '../../codec/test/adapter-behaviour/whatwg-scenarios.js';
import * as adapter from '../src/index.js';

const fixture: AdapterFixture = {
  runtime: 'node',
  test: (name, fn) => test(name, fn, 90_000),
  api: adapter as unknown as AdapterApi,
  async listen(options = {}) {
    const server = new adapter.WebSocketServer({ host: '127.0.0.1', port: 0, ...(options as adapter.ServerOptions) });
    const { port } = await server.listen();
    return { server: server as unknown as ServerLike, port };
  },
  async connect(url, options = {}) {
    return (await adapter.connect(url, options as adapter.ConnectOptions)) as unknown as SessionLike;
  },
  remoteAddress: (context) => (context as adapter.UpgradeContext).socket.remoteAddress ?? '',
  spawn: spawnWithChildProcess,
};

whatwgSuite(fixture, {
  api: adapter as unknown as WhatwgApi,
  // Node 22+ has a global WebSocket (undici's, bundled): tools/node24 re-runs this file under Node 24 against it.
  native:
    typeof globalThis.WebSocket === 'function'
      ? { name: 'node24', WebSocket: globalThis.WebSocket as unknown as WebSocketClass }
      : { name: 'undici', WebSocket: UndiciWebSocket as unknown as WebSocketClass },
});
