// Parity with websocketd 0.4.1 (Debian `websocketd`): the same scripted
// sessions against both servers. Each expectation here is a row of the
// parity table in README.md; where the two differ, both values are asserted
// so the table cannot drift from what the programs do. A missing websocketd
// fails the run (FRAMEWIRE_ALLOW_SKIP=1 skips).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, HandshakeStatusError, type Session } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { BIN, processAlive, waitFor } from './helpers/cli.js';

const hasWebsocketd = spawnSync('websocketd', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasWebsocketd) peerMissing(it, 'websocketd (apt-get install websocketd): the parity table');

type Server = 'framewire' | 'websocketd';
const started: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(
    started.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Start `server` with `flags` and PROGRAM; resolves with its port once it accepts. */
async function start(server: Server, flags: string[], program: string[]): Promise<number> {
  const port = await freePort();
  const args =
    server === 'framewire'
      ? [BIN, 'serve', '--port', String(port), '--quiet', ...flags, '--', ...program]
      : ['--port', String(port), '--address', '127.0.0.1', '--loglevel', 'error', ...flags, ...program];
  const child = spawn(server === 'framewire' ? process.execPath : 'websocketd', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  started.push(child);
  await waitFor(() => accepts(port), 10_000, `${server} to listen`);
  return port;
}

/** Does the port accept a TCP connection? (websocketd prints no READY, so this is how to know it listens.) */
function accepts(port: number): boolean {
  const probe = `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe]).status === 0;
}

/** Connect, send `lines`, optionally close after a moment, and collect what came back and how it closed. */
async function session(port: number, path = '/', lines: string[] = [], closeAfterMs?: number): Promise<{ got: string[]; code: number; session: Session }> {
  const ws = await connect(`ws://127.0.0.1:${port}${path}`, { headers: { 'X-Custom': 'v' }, perMessageDeflate: false });
  const got: string[] = [];
  ws.on('message', (data) => void got.push(String(data)));
  for (const line of lines) ws.send(line);
  if (closeAfterMs !== undefined) setTimeout(() => ws.close(1000), closeAfterMs);
  const { code } = await ws.closed;
  return { got, code, session: ws };
}

const both: Server[] = ['framewire', 'websocketd'];

describe.skipIf(!hasWebsocketd)('parity with websocketd 0.4.1', () => {
  it('environment: the CGI variables agree', async () => {
    const envs: Record<string, Record<string, string>> = {};
    for (const server of both) {
      const port = await start(server, [], ['env']);
      const { got } = await session(port, '/a/b?x=1&y=2');
      envs[server] = Object.fromEntries(got.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      envs[server]!.SERVER_PORT_MATCHES = String(envs[server]!.SERVER_PORT === String(port));
    }
    const same = ['REMOTE_ADDR', 'REMOTE_HOST', 'SERVER_NAME', 'SERVER_PROTOCOL', 'GATEWAY_INTERFACE', 'REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'PATH_TRANSLATED', 'QUERY_STRING', 'REQUEST_URI', 'AUTH_TYPE', 'CONTENT_LENGTH', 'CONTENT_TYPE', 'REMOTE_IDENT', 'REMOTE_USER', 'HTTP_X_CUSTOM', 'HTTP_UPGRADE', 'HTTP_SEC_WEBSOCKET_VERSION', 'SERVER_PORT_MATCHES', 'PATH'];
    for (const name of same) expect([name, envs.framewire![name]]).toEqual([name, envs.websocketd![name]]);
    expect(envs.framewire!.QUERY_STRING).toBe('x=1&y=2');
    // Present in both, different by design: the server's name, the connection id.
    expect(envs.websocketd!.SERVER_SOFTWARE).toMatch(/^websocketd/);
    expect(envs.framewire!.SERVER_SOFTWARE).toMatch(/^framewire/);
    expect(envs.framewire!.UNIQUE_ID).toBe('1');
    // Only framewire: the negotiated subprotocol. Only websocketd: none of the CGI set.
    expect(envs.framewire!.WEBSOCKET_PROTOCOL).toBe('');
    expect(envs.websocketd!.WEBSOCKET_PROTOCOL).toBeUndefined();
    const cgi = (env: Record<string, string>): string[] => Object.keys(env).filter((key) => !key.startsWith('HTTP_')).sort();
    expect(cgi(envs.framewire!).filter((key) => !cgi(envs.websocketd!).includes(key))).toEqual(['WEBSOCKET_PROTOCOL']);
    expect(cgi(envs.websocketd!).filter((key) => !cgi(envs.framewire!).includes(key))).toEqual([]);
  });

  it('close codes: framewire sends 1000 / 1011 for exit 0 / non-zero; websocketd drops the TCP connection (1006)', async () => {
    const codes: Record<string, number[]> = {};
    for (const server of both) {
      codes[server] = [];
      for (const status of [0, 3]) {
        const port = await start(server, [], ['sh', '-c', `echo out; exit ${status}`]);
        const { got, code } = await session(port);
        expect(got).toEqual(['out']);
        codes[server]!.push(code);
      }
    }
    expect(codes).toEqual({ framewire: [1000, 1011], websocketd: [1006, 1006] });
  });

  it('stdin EOF: the client closes, the program reads to the end and finishes', async () => {
    for (const server of both) {
      const out = join(mkdtempSync(join(tmpdir(), 'fw-parity-')), 'out');
      const port = await start(server, [], ['sh', '-c', `cat > ${out}; echo eof >> ${out}`]);
      const { code } = await session(port, '/', ['one', 'two'], 200);
      expect(code).toBe(1000);
      await waitFor(() => {
        try {
          return readFileSync(out, 'utf8') === 'one\ntwo\neof\n';
        } catch {
          return false;
        }
      }, 5000, `${server}: the program to see EOF`);
    }
  });

  it('clean-up: a program that ignores SIGINT and SIGTERM is killed after the client leaves', async () => {
    for (const server of both) {
      const port = await start(server, server === 'framewire' ? ['--close-grace', '0.1', '--kill-grace', '0.2'] : [], [
        'sh', '-c', "trap '' INT TERM; echo $$; while :; do sleep 0.05; done",
      ]);
      const { got } = await session(port, '/', [], 200);
      const pid = Number(got[0]);
      await waitFor(() => !processAlive(pid), 5000, `${server}: the stubborn program to be killed`);
    }
  });

  it('100 connections at once, each with its own process, all gone after they close', async () => {
    for (const server of both) {
      const port = await start(server, [], ['sh', '-c', 'echo $$; cat']);
      const sessions = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const ws = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
          const first = await ws[Symbol.asyncIterator]().next();
          return { ws, pid: Number(first.value) };
        }),
      );
      expect(new Set(sessions.map(({ pid }) => pid)).size).toBe(100);
      for (const { ws } of sessions) ws.close(1000);
      await Promise.all(sessions.map(({ ws }) => ws.closed));
      await waitFor(() => sessions.every(({ pid }) => !processAlive(pid)), 10_000, `${server}: all 100 programs to end`);
    }
  });

  it('--maxforks / --max-forks: the next connection is refused before the upgrade', async () => {
    const statuses: Record<string, number> = {};
    for (const server of both) {
      const port = await start(server, server === 'framewire' ? ['--max-forks', '1'] : ['--maxforks', '1'], ['cat']);
      const first = await connect(`ws://127.0.0.1:${port}/`);
      const refused = await connect(`ws://127.0.0.1:${port}/`).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(HandshakeStatusError);
      statuses[server] = (refused as HandshakeStatusError).status;
      first.close(1000);
      await first.closed;
    }
    expect(statuses).toEqual({ framewire: 503, websocketd: 429 });
  });

  it('line ends: CRLF is stripped by both; a last line without \\n is sent by framewire only', async () => {
    const results: Record<string, string[]> = {};
    for (const server of both) {
      const port = await start(server, [], ['printf', 'a\\r\\nb']);
      results[server] = (await session(port)).got;
    }
    expect(results).toEqual({ framewire: ['a', 'b'], websocketd: ['a'] });
  });

  it('stdio: the program gets pipes from both (so /dev/stdin and /dev/stdout open); child_process gives socketpairs', async () => {
    const probe = ['sh', '-c', 'for f in /dev/stdin /dev/stdout /dev/stderr; do if [ -p $f ]; then echo pipe; else echo other; fi; done; read x < /dev/stdin && echo "read $x"'];
    const results: Record<string, string[]> = {};
    for (const server of both) {
      const port = await start(server, [], probe);
      results[server] = (await session(port, '/', ['hi'])).got;
    }
    const port = await start('framewire', ['--no-spawn-helper'], probe);
    results.childProcess = (await session(port, '/', ['hi'])).got;
    expect(results).toEqual({
      framewire: ['pipe', 'pipe', 'pipe', 'read hi'],
      websocketd: ['pipe', 'pipe', 'pipe', 'read hi'],
      // libuv's stdio "pipes" are unix socketpairs: `[ -p ]` is false and opening /dev/stdin fails (ENXIO).
      childProcess: ['other', 'other', 'other'],
    });
  });
});
