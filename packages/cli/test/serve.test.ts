// `framewire serve` per connection, with real programs and a real client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, HandshakeStatusError, type Session } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FORKS } from '../src/serve/serve-config.js';
import { record } from './helpers/client.js';
import { processAlive, programsOf, rssBytes, startCli, stopAll, waitFor } from './helpers/cli.js';

afterEach(stopAll);

const url = (port: number, path = '/'): string => `ws://127.0.0.1:${port}${path}`;

describe('serve: one program per connection', () => {
  it('cat: each text message is a stdin line, each stdout line a message', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'cat']);
    const client = await record(url(cli.port));
    client.session.send('hello');
    client.session.send('wörld ✓');
    await client.received(2);
    expect(client.messages).toEqual(['hello', 'wörld ✓']);
    client.session.close(1000);
    expect((await client.closed).code).toBe(1000);
  });

  it("sh -c 'echo $QUERY_STRING': the program sees the CGI environment", async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'echo "$QUERY_STRING|$PATH_INFO|$REMOTE_ADDR|$SERVER_PORT|$HTTP_X_TEST|$REQUEST_URI"']);
    const client = await record(url(cli.port, '/room/7?user=ann&x=1'), { headers: { 'X-Test': 'yes' } });
    const closed = await client.closed;
    expect(client.messages).toEqual([`user=ann&x=1|/room/7|127.0.0.1|${cli.port}|yes|/room/7?user=ann&x=1`]);
    expect(closed).toMatchObject({ code: 1000, wasClean: true });
  });

  it('a program that exits with 3 closes the connection with 1011; exit 0 with 1000', async () => {
    const cli = await startCli(['serve', '--port', '0', '--path', '/ok=["sh","-c","echo fine"]', '--', 'sh', '-c', 'echo bye; exit 3']);
    const failing = await record(url(cli.port));
    expect(await failing.closed).toMatchObject({ code: 1011, reason: 'program exited with 3' });
    expect(failing.messages).toEqual(['bye']);
    const fine = await record(url(cli.port, '/ok'));
    expect(await fine.closed).toMatchObject({ code: 1000 });
    expect(fine.messages).toEqual(['fine']);
    expect(cli.stderr()).toMatch(/\[1\] program ended: exit 3/);
  });

  it('stderr goes to the log tagged with the connection id', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'echo oops >&2']);
    const client = await record(url(cli.port));
    await client.closed;
    await waitFor(() => cli.stderr().includes('[1] oops'), 5000, 'the stderr line');
  });

  it('the client leaves: the program gets EOF, then SIGTERM, then SIGKILL if it ignores SIGTERM', async () => {
    const cli = await startCli(['serve', '--port', '0', '--close-grace', '0.2', '--kill-grace', '0.3', '--', 'sh', '-c', "trap '' TERM; echo $$; while :; do sleep 0.05; done"]);
    const client = await record(url(cli.port));
    await client.received(1);
    const pid = Number(client.messages[0]);
    expect(processAlive(pid)).toBe(true);
    client.session.close(1000);
    await client.closed;
    // EOF is ignored, SIGTERM is trapped: only the SIGKILL ends it.
    await waitFor(() => !processAlive(pid), 5000, 'the program to be killed');
    await waitFor(() => programsOf(cli.process.pid!).length === 0, 5000, 'no children left');
  });

  it('stdin EOF: a program that reads to the end finishes on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-cli-'));
    const out = join(dir, 'out');
    const cli = await startCli(['serve', '--port', '0', '--', 'sh', '-c', `cat > ${out}; echo done >> ${out}`]);
    const client = await record(url(cli.port));
    client.session.send('one');
    client.session.close(1000);
    await client.closed;
    const { readFileSync } = await import('node:fs');
    await waitFor(() => {
      try {
        return readFileSync(out, 'utf8') === 'one\ndone\n';
      } catch {
        return false;
      }
    }, 5000, 'the program to see EOF');
  });

  it('a flooding program and a slow reader: the server stays bounded (backpressure to the pipe)', async () => {
    const cli = await startCli(['serve', '--port', '0', '--no-deflate', '--', 'sh', '-c', 'yes 0123456789012345678901234567890123456789012345678901234567890123456789']);
    const session = await connect(url(cli.port), { perMessageDeflate: false, receiveHighWaterMessages: 1, receiveHighWaterBytes: 1024 });
    let count = 0;
    // A slow reader: each message holds reading for a while.
    session.on('message', () => {
      count++;
      return count % 1000 === 0 ? new Promise((resolve) => setTimeout(resolve, 20)) : undefined;
    });
    const before = rssBytes(cli.process.pid!);
    const deadline = Date.now() + 3000;
    let peak = before;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      peak = Math.max(peak, rssBytes(cli.process.pid!));
    }
    expect(count).toBeGreaterThan(1000);
    // The program blocks on its pipe instead of the server buffering gigabytes.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    session.close(1000);
    await session.closed;
  });

  it('invalid UTF-8 in a line becomes U+FFFD: a text message is never invalid', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'printf', 'ok ✓\\na\\377b\\n']);
    const client = await record(url(cli.port));
    await client.closed;
    expect(client.messages).toEqual(['ok ✓', 'a\uFFFDb']);
  });

  it('--binary passes raw chunks both ways', async () => {
    const cli = await startCli(['serve', '--port', '0', '--binary', '--', 'cat']);
    const client = await record(url(cli.port));
    client.session.send(new Uint8Array([0, 1, 2, 255, 10]));
    await client.received(1);
    expect([...(client.messages[0] as Uint8Array)]).toEqual([0, 1, 2, 255, 10]);
    client.session.close(1000);
  });

  it('--max-forks: one more than allowed gets HTTP 503', async () => {
    const cli = await startCli(['serve', '--port', '0', '--max-forks', '1', '--', 'cat']);
    const first = await record(url(cli.port));
    const refused = await connect(url(cli.port)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HandshakeStatusError);
    expect((refused as HandshakeStatusError).status).toBe(503);
    first.session.close(1000);
  });

  it(`without --max-forks at most ${DEFAULT_MAX_FORKS} programs run at once: the next connection gets 503`, async () => {
    const cli = await startCli(['serve', '--port', '0', '--quiet', '--no-deflate', '--heartbeat', '0', '--', 'cat']);
    const sessions: Session[] = [];
    try {
      // 32 handshakes in flight at a time, until the limit is reached.
      let next = 0;
      const opener = async (): Promise<void> => {
        while (next < DEFAULT_MAX_FORKS) {
          next++;
          sessions.push(await connect(url(cli.port), { perMessageDeflate: false }));
        }
      };
      await Promise.all(Array.from({ length: 32 }, opener));
      expect(sessions).toHaveLength(DEFAULT_MAX_FORKS);
      // Every program has started (the limit counts running programs).
      await waitFor(() => programsOf(cli.process.pid!).length === DEFAULT_MAX_FORKS, 30_000, `${DEFAULT_MAX_FORKS} programs`);
      const refused = await connect(url(cli.port)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(HandshakeStatusError);
      expect((refused as HandshakeStatusError).status).toBe(503);
      // One leaves: its program ends on EOF, and there is room again.
      const leaving = sessions.pop()!;
      leaving.close(1000);
      await leaving.closed;
      await waitFor(() => programsOf(cli.process.pid!).length < DEFAULT_MAX_FORKS, 10_000, 'the leaving program to end');
      sessions.push(await connect(url(cli.port), { perMessageDeflate: false }));
    } finally {
      for (const session of sessions) session.close(1000);
      await Promise.all(sessions.map((session) => session.closed));
    }
  }, 120_000);

  it('--origin allow-list: 403 for others; --token: 401 without it', async () => {
    const cli = await startCli(['serve', '--port', '0', '--origin', 'app.example,https://ok.example', '--token', 's3cret', '--', 'cat']);
    const status = async (options: Parameters<typeof connect>[1], path = '/'): Promise<number> => {
      try {
        const session = await connect(url(cli.port, path), options);
        session.close(1000);
        return 101;
      } catch (error) {
        return (error as HandshakeStatusError).status;
      }
    };
    expect(await status({ origin: 'https://evil.example', headers: { Authorization: 'Bearer s3cret' } })).toBe(403);
    expect(await status({ origin: 'https://app.example' })).toBe(401);
    expect(await status({ origin: 'https://app.example', headers: { Authorization: 'Bearer wrong' } })).toBe(401);
    expect(await status({ origin: 'http://app.example:8080', headers: { Authorization: 'Bearer s3cret' } })).toBe(101);
    expect(await status({ origin: 'https://ok.example' }, '/?token=s3cret')).toBe(101);
  });

  it('--staticdir serves files on the same port, index.html for /; --path routes to programs, others 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-static-'));
    writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>');
    const cli = await startCli(['serve', '--port', '0', '--staticdir', dir, '--path', '/time=["echo","tick"]']);
    const page = await fetch(`http://127.0.0.1:${cli.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toBe('<h1>hi</h1>');
    expect((await fetch(`http://127.0.0.1:${cli.port}/missing.txt`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${cli.port}/..%2f..%2fetc%2fpasswd`)).status).toBe(403);
    const client = await record(url(cli.port, '/time'));
    await client.closed;
    expect(client.messages).toEqual(['tick']);
    const elsewhere = await connect(url(cli.port, '/nope')).catch((error: unknown) => error);
    expect((elsewhere as HandshakeStatusError).status).toBe(404);
  });

  it('deflate is negotiated by default and off with --no-deflate; subprotocol reaches the program', async () => {
    const on = await startCli(['serve', '--port', '0', '--protocol', 'chat', '--', 'sh', '-c', 'echo $WEBSOCKET_PROTOCOL']);
    const a = await record(url(on.port), { protocols: ['chat'] });
    expect(a.session.extensions).toContain('permessage-deflate');
    await a.closed;
    expect(a.messages).toEqual(['chat']);
    const off = await startCli(['serve', '--port', '0', '--no-deflate', '--', 'cat']);
    const b = await connect(url(off.port));
    expect(b.extensions).toBe('');
    b.close(1000);
  });

  it('bad usage: one line on stderr and exit 2', async () => {
    const { runCli } = await import('./helpers/cli.js');
    const missing = await runCli(['serve', '--port', '0', '--', 'no-such-program-xyz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('framewire serve: program not found or not executable: no-such-program-xyz');
    const badPort = await runCli(['serve', '--port', '99999', '--', 'cat']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--port: expected an integer from 0 to 65535/);
    const hub = await runCli(['hub', '--port', '1', 'extra']);
    expect(hub.code).toBe(2);
    expect(hub.stderr.trim()).toBe('framewire hub: unexpected argument extra');
  });
});
