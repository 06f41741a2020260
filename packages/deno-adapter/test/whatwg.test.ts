// The WHATWG WebSocket and WebSocketStream suite (packages/codec/test/
// adapter-behaviour/whatwg.suite.ts) on Deno, with Deno's global WebSocket
// as the differential peer.
import type { AdapterApi, AdapterFixture, ServerLike, SessionLike } from '../../codec/test/adapter-behaviour/fixture.ts';
import { whatwgSuite, type WhatwgApi } from '../../codec/test/adapter-behaviour/whatwg.suite.ts';
import type { WebSocketClass } from '../../codec/test/adapter-behaviour/whatwg-scenarios.ts';
import * as adapter from '../src/index.ts';

const fixture: AdapterFixture = {
  runtime: 'deno',
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false }),
  api: adapter as unknown as AdapterApi,
  async listen(options = {}) {
    const server = new adapter.WebSocketServer({ host: '127.0.0.1', port: 0, ...(options as adapter.ServerOptions) });
    const { port } = await server.listen();
    return { server: server as unknown as ServerLike, port };
  },
  async connect(url, options = {}) {
    return (await adapter.connect(url, options as adapter.ConnectOptions)) as unknown as SessionLike;
  },
  remoteAddress: (context) => (context as adapter.UpgradeContext).remoteAddr.hostname,
  spawn() {
    throw new Error('the WHATWG suite starts no process');
  },
};

whatwgSuite(fixture, {
  api: adapter as unknown as WhatwgApi,
  native: { name: 'deno', WebSocket: globalThis.WebSocket as unknown as WebSocketClass },
});
