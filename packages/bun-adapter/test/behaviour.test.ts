// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// on Bun, under bun:test.
import { test } from 'bun:test';
import { spawnNodeWithChildProcess, type AdapterFixture, type ServerLike, type SessionLike } from '../../codec/test/adapter-behaviour/fixture.js';
import { hostileSuite } from '../../codec/test/adapter-behaviour/hostile.suite.js';
import { WebSocketServer, connect } from '../src/index.js';

const fixture: AdapterFixture = {
  runtime: 'bun',
  test: (name, fn) => test(name, fn, 90_000),
  async listen(options = {}) {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
    const { port } = await server.listen();
    return { server: server as unknown as ServerLike, port };
  },
  connect: async (url) => (await connect(url)) as unknown as SessionLike,
  spawnNode: spawnNodeWithChildProcess,
};

hostileSuite(fixture);
