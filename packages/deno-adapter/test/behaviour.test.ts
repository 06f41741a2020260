// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// on Deno's raw TCP server, under deno test.
import type { AdapterApi, AdapterFixture, ServerLike, SessionLike } from '../../codec/test/adapter-behaviour/fixture.ts';
import { allSuites } from '../../codec/test/adapter-behaviour/suites.ts';
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
    const tls = ca === undefined ? {} : { tls: { caCerts: [ca] } };
    return (await adapter.connect(url, { ...(options as adapter.ConnectOptions), ...tls })) as unknown as SessionLike;
  },
  // The server in-process (a Deno child would need --allow-run for Deno itself), the client in a Node child.
  upload: { mib: 1024, rss: () => Deno.memoryUsage().rss },
  remoteAddress: (context) => (context as adapter.UpgradeContext).remoteAddr.hostname,
  spawn(command, args) {
    const child = new Deno.Command(command, { args, stdout: 'piped', stderr: 'inherit' }).spawn();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const output = child.output().then((result) => {
      clearTimeout(timer);
      return new TextDecoder().decode(result.stdout);
    });
    return {
      output,
      stop: () => {
        try {
          child.kill('SIGKILL');
        } catch {
          // already exited
        }
      },
    };
  },
};

allSuites(fixture);
