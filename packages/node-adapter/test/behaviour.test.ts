// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// on Node, under vitest.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'vitest';
import { spawnWithChildProcess, uploadServerScript, type AdapterApi, type AdapterFixture, type ServerLike, type SessionLike } from '../../codec/test/adapter-behaviour/fixture.js';
import { allSuites } from '../../codec/test/adapter-behaviour/suites.js';
import * as adapter from '../src/index.js';

const fixture: AdapterFixture = {
  runtime: 'node',
  test: (name, fn) => test(name, fn, 180_000),
  api: adapter as unknown as AdapterApi,
  async listen(options = {}) {
    const server = new adapter.WebSocketServer({ host: '127.0.0.1', port: 0, ...(options as adapter.ServerOptions) });
    const { port } = await server.listen();
    return { server: server as unknown as ServerLike, port };
  },
  async listenShared(paths, options = []) {
    const http = createServer((_request, response) => response.writeHead(404).end());
    const servers = paths.map(
      (path, i) => new adapter.WebSocketServer({ ...(options[i] as adapter.ServerOptions | undefined), server: http, path }),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const close = async (): Promise<void> => {
      await Promise.all(servers.map((s) => s.close({ timeout: 300 })));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    };
    return { servers: servers as unknown as ServerLike[], port, close };
  },
  async connect(url, { ca, ...options } = {}) {
    const tls = ca === undefined ? {} : { tls: { ca } };
    return (await adapter.connect(url, { ...(options as adapter.ConnectOptions), ...tls })) as unknown as SessionLike;
  },
  remoteAddress: (context) => (context as adapter.UpgradeContext).socket.remoteAddress ?? '',
  // The built adapter (tests run after the build) in a child Node process.
  upload: { mib: 1024, command: { command: process.execPath, args: [uploadServerScript, new URL('../dist/index.js', import.meta.url).href, 'node'] } },
  spawn: spawnWithChildProcess,
};

allSuites(fixture);
