// The entry points every runtime provides (the root README's "Entry points"), driven as outside
// harnesses drive them: `node scripts/echo-server.mjs --runtime deno|deno-serve`
// and `node scripts/echo-client.mjs --runtime deno`.
import assert from 'node:assert/strict';
import { fixtures, repoRoot, runNode, waitFor } from './helpers.ts';

function freePort(): number {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A dispatcher child with its stdout collected as it comes. */
function spawnScript(script: string, args: string[]) {
  const child = new Deno.Command('node', { args: [`${repoRoot}scripts/${script}`, ...args], cwd: repoRoot, stdout: 'piped', stderr: 'piped' }).spawn();
  let out = '';
  const reading = (async () => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) out += text;
  })();
  const errors = new Response(child.stderr).text();
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return {
    child,
    output: () => out,
    finished: async () => {
      const status = await child.status;
      clearTimeout(killer);
      await reading;
      return { code: status.code, stdout: out, stderr: await errors };
    },
  };
}

Deno.test('echo-server --runtime deno: READY, echoes with permessage-deflate; echo-client --runtime deno gets 1001 on SIGTERM and exits 0', async () => {
  const port = freePort();
  const server = spawnScript('echo-server.mjs', ['--runtime', 'deno', '--port', String(port)]);
  await waitFor(() => /^READY$/m.test(server.output()), 30_000, 'READY');
  const ws = await runNode(`${fixtures}ws-client.mjs`, [`ws://127.0.0.1:${port}/any/path`]);
  const report = JSON.parse(ws.stdout);
  assert.match(report.extensions, /permessage-deflate/);
  assert.ok(report.echoes.every((e: { same: boolean; isBinary: boolean; expectedBinary: boolean }) => e.same && e.isBinary === e.expectedBinary));
  const client = spawnScript('echo-client.mjs', ['--runtime', 'deno', `ws://127.0.0.1:${port}/`]);
  await delayUntilConnected(port);
  server.child.kill('SIGTERM');
  const clientResult = await client.finished();
  assert.match(clientResult.stdout, /CLOSE 1001/);
  assert.equal(clientResult.code, 0, clientResult.stderr);
  const serverResult = await server.finished();
  assert.equal(serverResult.code, 0, serverResult.stderr);
});

Deno.test('echo-server --runtime deno --tls with echo-client --runtime deno --ca', async () => {
  const port = freePort();
  const server = spawnScript('echo-server.mjs', ['--runtime', 'deno', '--port', String(port), '--tls']);
  await waitFor(() => /^READY$/m.test(server.output()), 30_000, 'READY');
  const ca = server.output().match(/--ca (\S+?\.pem)/)?.[1];
  assert.ok(ca, 'the dispatcher prints the certificate path');
  const client = spawnScript('echo-client.mjs', ['--runtime', 'deno', `wss://127.0.0.1:${port}/`, '--ca', ca]);
  await delayUntilConnected(port);
  server.child.kill('SIGTERM');
  const clientResult = await client.finished();
  assert.match(clientResult.stdout, /CLOSE 1001/);
  assert.equal(clientResult.code, 0);
  assert.equal((await server.finished()).code, 0);
});

Deno.test('echo-server --runtime deno-serve: READY, echoes with types (no permessage-deflate on this path), SIGTERM exits 0', async () => {
  const port = freePort();
  const server = spawnScript('echo-server.mjs', ['--runtime', 'deno-serve', '--port', String(port)]);
  await waitFor(() => /^READY$/m.test(server.output()), 30_000, 'READY');
  const ws = await runNode(`${fixtures}ws-client.mjs`, [`ws://127.0.0.1:${port}/`]);
  const report = JSON.parse(ws.stdout);
  assert.equal(report.extensions, '');
  assert.equal(report.echoes.length, 3);
  assert.ok(report.echoes.every((e: { same: boolean; isBinary: boolean; expectedBinary: boolean }) => e.same && e.isBinary === e.expectedBinary));
  assert.equal(report.close, 1000);
  server.child.kill('SIGTERM');
  assert.equal((await server.finished()).code, 0);
});

Deno.test('echo-client --runtime deno exits non-zero when the connection fails', async () => {
  const port = freePort();
  const client = spawnScript('echo-client.mjs', ['--runtime', 'deno', `ws://127.0.0.1:${port}/`]);
  const result = await client.finished();
  assert.notEqual(result.code, 0);
  assert.match(result.stdout, /FAILED FW_ERR_CONNECTION_FAILED/);
});

/** Wait until the echo client's handshake is done: a second client then sees the server answer (the client is first in line). */
async function delayUntilConnected(port: number): Promise<void> {
  // The client connects within a few hundred ms of starting; poll the server with a throwaway connection attempt.
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: '127.0.0.1', port });
      conn.close();
      break;
    } catch {
      if (Date.now() > end) throw new Error('server not reachable');
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
}
