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
  let err = '';
  const reading = (async () => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) out += text;
  })();
  const errors = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) err += text;
    return err;
  })();
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return {
    child,
    output: () => out,
    errorOutput: () => err,
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
  await untilConnected(client);
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
  await untilConnected(client);
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

/** Wait until the echo client says on stderr that its handshake is done (a fixed delay raced a slow start under load). */
async function untilConnected(client: { errorOutput: () => string }): Promise<void> {
  await waitFor(() => /echo-client: connected/.test(client.errorOutput()), 30_000, 'echo-client: connected');
}
