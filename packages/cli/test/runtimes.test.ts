// The same `framewire` entry re-run under Bun and Deno (`--runtime`): serve,
// echo and connect on each, checked from Node. The repository's bun and
// deno binaries are the peers; a missing one fails the run.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { record } from './helpers/client.js';
import { runCli, startCli, stopAll } from './helpers/cli.js';
import { burstReachesEveryClient } from './helpers/burst.js';

afterEach(stopAll);

const root = fileURLToPath(new URL('../../../', import.meta.url));
const binaries = { bun: `${root}node_modules/.bin/bun`, deno: `${root}node_modules/deno/deno` } as const;

for (const runtime of ['bun', 'deno'] as const) {
  const present = existsSync(binaries[runtime]);
  if (!present) peerMissing(it, `${binaries[runtime]} (pnpm install): framewire --runtime ${runtime}`);
  describe.skipIf(!present)(`--runtime ${runtime}`, () => {
    it('serve: a program per connection, CGI environment, exit code → close code', async () => {
      // `read < /dev/stdin` works on a pipe only: the spawn helper runs on this runtime too.
      const cli = await startCli(['serve', '--runtime', runtime, '--port', '0', '--', 'sh', '-c', 'echo "$QUERY_STRING"; read line < /dev/stdin; echo "got $line"; exit 3']);
      expect(cli.stderr()).toContain(`(${runtime})`);
      const client = await record(`ws://127.0.0.1:${cli.port}/?on=${runtime}`);
      await client.received(1);
      client.session.send('x');
      expect(await client.closed).toMatchObject({ code: 1011, reason: 'program exited with 3' });
      expect(client.messages).toEqual([`on=${runtime}`, 'got x']);
    });

    it('serve --shared broadcasts to every client', async () => {
      const cli = await startCli(['serve', '--runtime', runtime, '--port', '0', '--shared', '--', 'cat']);
      const a = await record(`ws://127.0.0.1:${cli.port}/`);
      const b = await record(`ws://127.0.0.1:${cli.port}/`);
      a.session.send('to all');
      await b.received(1);
      expect(b.messages).toEqual(['to all']);
      a.session.close(1000);
      b.session.close(1000);
    });

    it('serve --shared: every line of a long burst reaches a deflate client and a plain client, in order', async () => {
      await burstReachesEveryClient(['--runtime', runtime]);
    });

    it('echo server, and connect from this runtime', async () => {
      const echo = await startCli(['echo', '--runtime', runtime, '--port', '0']);
      expect(echo.stderr()).toContain(`(${runtime})`);
      const serve = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'echo hello; echo world']);
      const result = await runCli(['connect', '--runtime', runtime, `ws://127.0.0.1:${serve.port}/`], null);
      expect(result).toMatchObject({ code: 0, stdout: 'hello\nworld\n' });
      const client = await record(`ws://127.0.0.1:${echo.port}/`);
      client.session.send('ping');
      await client.received(1);
      expect(client.messages).toEqual(['ping']);
      client.session.close(1000);
    });
  });
}
