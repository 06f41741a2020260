// The shared adapter behaviour suites (packages/codec/test/adapter-behaviour)
// on Deno's raw TCP server, under deno test.
import type { AdapterFixture, ServerLike, SessionLike } from '../../codec/test/adapter-behaviour/fixture.ts';
import { hostileSuite } from '../../codec/test/adapter-behaviour/hostile.suite.ts';
import { WebSocketServer, connect } from '../src/index.ts';

const fixture: AdapterFixture = {
  runtime: 'deno',
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false }),
  async listen(options = {}) {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
    const { port } = await server.listen();
    return { server: server as unknown as ServerLike, port };
  },
  connect: async (url) => (await connect(url)) as unknown as SessionLike,
  spawnNode(args) {
    const child = new Deno.Command('node', { args, stdout: 'piped', stderr: 'inherit' }).spawn();
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

hostileSuite(fixture);
