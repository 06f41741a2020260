// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// on Bun, under bun:test.
import { test } from 'bun:test';
import { uploadServerScript, spawnWithChildProcess, type AdapterApi, type AdapterFixture, type ServerLike, type SessionLike } from '../../codec/test/adapter-behaviour/fixture.js';
import { allSuites } from '../../codec/test/adapter-behaviour/suites.js';
import * as adapter from '../src/index.js';

const fixture: AdapterFixture = {
  runtime: 'bun',
  test: (name, fn) => test(name, fn, 90_000),
  api: adapter as unknown as AdapterApi,
  async listen(options = {}) {
    const server = new adapter.WebSocketServer({ host: '127.0.0.1', port: 0, ...(options as adapter.ServerOptions) });
    const { port } = await server.listen();
    return { server: server as unknown as ServerLike, port };
  },
  async listenShared(paths, options = []) {
    const own = (i: number): adapter.ServerOptions => ({ ...(options[i] as adapter.ServerOptions | undefined) });
    const routed = paths.slice(1).map((path, i) => new adapter.WebSocketServer({ ...own(i + 1), path }));
    const main = new adapter.WebSocketServer({ ...own(0), host: '127.0.0.1', port: 0, path: paths[0]!, routes: routed });
    const { port } = await main.listen();
    const servers = [main, ...routed];
    const close = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.close({ timeout: 300 }))));
    return { servers: servers as unknown as ServerLike[], port, close };
  },
  async connect(url, { ca, ...options } = {}) {
    const tls = ca === undefined ? {} : { tls: { ca } };
    return (await adapter.connect(url, { ...(options as adapter.ConnectOptions), ...tls })) as unknown as SessionLike;
  },
  remoteAddress: (context) => (context as adapter.UpgradeContext).socket.remoteAddress,
  // The adapter's source in a child Bun process.
  upload: { mib: 1024, command: { command: process.execPath, args: [uploadServerScript, new URL('../src/index.ts', import.meta.url).href, 'routes'] } },
  spawn: spawnWithChildProcess,
};

allSuites(fixture);
