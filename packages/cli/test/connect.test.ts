// `framewire connect` piped (bare data), against `framewire echo`,
// `framewire broadcast` and `framewire serve`; its exit codes and its
// one-line errors.
import { connect } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from './helpers/client.js';
import { runCli, startCli, stopAll } from './helpers/cli.js';

afterEach(stopAll);

describe('connect (piped)', () => {
  it('stdin lines out, messages to stdout, exit 0 after a clean close at EOF (echo server)', async () => {
    const echo = await startCli(['echo', '--port', '0']);
    // Wait for each echo before EOF: the close at EOF would otherwise overtake them.
    const session = await connect(`ws://127.0.0.1:${echo.port}/`);
    session.close(1000);
    const result = await runCli(['connect', `ws://127.0.0.1:${echo.port}/`], '');
    expect(result).toMatchObject({ code: 0, stdout: '' });
  });

  it('prints what a program says and exits 0 on its clean close', async () => {
    const serve = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'echo one; echo "two ✓"']);
    // stdin stays open: an EOF at once would close the connection (1000) before the program has spoken.
    const result = await runCli(['connect', `ws://127.0.0.1:${serve.port}/`], null);
    expect(result.stdout).toBe('one\ntwo ✓\n');
    expect(result.code).toBe(0);
  });

  it('sends stdin lines: a served cat sees them (through a second client on --shared)', async () => {
    const serve = await startCli(['serve', '--port', '0', '--shared', '--', 'cat']);
    const watcher = await record(`ws://127.0.0.1:${serve.port}/`);
    const result = await runCli(['connect', `ws://127.0.0.1:${serve.port}/`], 'alpha\nbeta\r\ngamma');
    expect(result.code).toBe(0);
    await watcher.received(3);
    expect(watcher.messages).toEqual(['alpha', 'beta', 'gamma']);
    watcher.session.close(1000);
  });

  it('a close other than 1000 exits 1 with the code on one line', async () => {
    const serve = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'exit 3']);
    const result = await runCli(['connect', `ws://127.0.0.1:${serve.port}/`], null);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('framewire connect: connection closed with 1011 (program exited with 3)\n');
  });

  it('typed connect errors are one readable line, exit 1', async () => {
    const refused = await runCli(['connect', 'ws://127.0.0.1:1/']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^framewire connect: .*ECONNREFUSED.* \[FW_ERR_CONNECTION_FAILED\]\n$/);
    const serve = await startCli(['serve', '--port', '0', '--token', 'k', '--', 'cat']);
    const denied = await runCli(['connect', `ws://127.0.0.1:${serve.port}/`]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(`framewire connect: ws://127.0.0.1:${serve.port}/: the server answered HTTP 401 instead of upgrading (Unauthorized)\n`);
    const allowed = await runCli(['connect', '-H', 'Authorization: Bearer k', `ws://127.0.0.1:${serve.port}/`], 'x\n');
    expect(allowed.code).toBe(0);
    const badUrl = await runCli(['connect', 'ftp://example/']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/\[FW_ERR_INVALID_URL\]\n$/);
    const badHeader = await runCli(['connect', '-H', 'nocolon', 'ws://127.0.0.1:1/']);
    expect(badHeader.code).toBe(2);
  });

  it('--protocol, --origin and -H reach the server (and its program)', async () => {
    const serve = await startCli([
      'serve', '--port', '0', '--protocol', 'chat.v2', '--origin', 'https://app.example', '--',
      'sh', '-c', 'echo "$WEBSOCKET_PROTOCOL|$HTTP_ORIGIN|$HTTP_X_TRACE"',
    ]);
    const url = `ws://127.0.0.1:${serve.port}/`;
    const ok = await runCli(['connect', '--protocol', 'chat.v1', '--protocol', 'chat.v2', '--origin', 'https://app.example', '-H', 'X-Trace: 42', url], null);
    expect(ok).toMatchObject({ code: 0, stdout: 'chat.v2|https://app.example|42\n' });
    const refused = await runCli(['connect', '--origin', 'https://evil.example', url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/answered HTTP 403/);
  });

  it('--binary sends stdin as binary messages and writes messages raw', async () => {
    const serve = await startCli(['serve', '--port', '0', '--binary', '--shared', '--', 'cat']);
    const watcher = await record(`ws://127.0.0.1:${serve.port}/`);
    const result = await runCli(['connect', '--binary', `ws://127.0.0.1:${serve.port}/`], 'raw\x01bytes');
    expect(result.code).toBe(0);
    await watcher.received(1);
    expect(new TextDecoder().decode(watcher.messages[0] as Uint8Array)).toBe('raw\x01bytes');
    watcher.session.close(1000);
  });
});

describe('echo and broadcast servers', () => {
  it('echo answers each message with its type', async () => {
    const echo = await startCli(['echo', '--port', '0']);
    const client = await record(`ws://127.0.0.1:${echo.port}/`);
    client.session.send('text');
    client.session.send(new Uint8Array([1, 2]));
    await client.received(2);
    expect(client.messages[0]).toBe('text');
    expect([...(client.messages[1] as Uint8Array)]).toEqual([1, 2]);
    client.session.close(1000);
  });

  it('broadcast relays each message to every other client, not back to the sender', async () => {
    const hub = await startCli(['broadcast', '--port', '0']);
    const a = await record(`ws://127.0.0.1:${hub.port}/`);
    const b = await record(`ws://127.0.0.1:${hub.port}/`);
    const c = await record(`ws://127.0.0.1:${hub.port}/`);
    a.session.send('hi all');
    await b.received(1);
    await c.received(1);
    b.session.send('hi a');
    await a.received(1);
    await c.received(2);
    expect(a.messages).toEqual(['hi a']);
    expect(b.messages).toEqual(['hi all']);
    expect(c.messages).toEqual(['hi all', 'hi a']);
    for (const client of [a, b, c]) client.session.close(1000);
  });
});
