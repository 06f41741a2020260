// The entry points outside harnesses depend on (the root README's "Entry
// points"), run exactly as `pnpm echo-server` / `pnpm echo-client`
// run them: through the dispatchers in scripts/, on the built dist.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer as WsServer } from 'ws';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(script: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [`${root}scripts/${script}`, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForLine(output: () => string, line: RegExp, timeout = 30_000): Promise<void> {
  const start = Date.now();
  while (!output().split('\n').some((l) => line.test(l))) {
    if (Date.now() - start > timeout) throw new Error(`no line matching ${line} in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    cleanups.push(() => ws.terminate());
  });
}

function echoOf(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  const reply = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) =>
    ws.once('message', (d, isBinary) => resolve({ data: d as Buffer, isBinary })),
  );
  ws.send(data);
  return reply;
}

describe('pnpm echo-server --runtime node', () => {
  it('prints READY, echoes with types on every path with permessage-deflate and 64 MiB messages, stops on SIGTERM', async () => {
    const port = await freePort();
    const server = run('echo-server.mjs', ['--runtime', 'node', '--port', String(port)]);
    await waitForLine(server.output, /^READY$/);
    const ws = await open(`ws://127.0.0.1:${port}/some/path`, { perMessageDeflate: true, maxPayload: 80 * 1024 * 1024 });
    expect(ws.extensions).toContain('permessage-deflate');
    expect(await echoOf(ws, 'text ✓')).toEqual({ data: Buffer.from('text ✓'), isBinary: false });
    const binary = await echoOf(ws, Buffer.from([1, 2, 3]));
    expect(binary.isBinary).toBe(true);
    const big = Buffer.alloc(64 * 1024 * 1024, 7); // exactly the limit
    const echoedBig = await echoOf(ws, big);
    expect(echoedBig.data.length).toBe(big.length);
    expect(echoedBig.data.equals(big)).toBe(true);

    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await server.exited).toBe(0);
  });

  it('--tls makes a certificate, prints its path and serves wss://', async () => {
    const port = await freePort();
    const server = run('echo-server.mjs', ['--runtime', 'node', '--port', String(port), '--tls']);
    await waitForLine(server.output, /^READY$/);
    const certPath = /certificate (\S+\.pem)/.exec(server.output())?.[1];
    expect(certPath).toBeDefined();
    const ws = await open(`wss://127.0.0.1:${port}/`, { ca: readFileSync(certPath!) });
    expect((await echoOf(ws, 'secure')).data.toString()).toBe('secure');
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
  });

  it('exits 2 with a clear message for a runtime that is not available', async () => {
    const port = await freePort();
    const server = run('echo-server.mjs', ['--runtime', 'nope', '--port', String(port)]);
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/unknown --runtime nope/);
  });
});

describe('pnpm echo-client --runtime node', () => {
  async function wsServer(onConnection: (ws: WebSocket) => void, options: ConstructorParameters<typeof WsServer>[0] = {}): Promise<number> {
    const wss = new WsServer({ host: '127.0.0.1', port: 0, ...options });
    wss.on('connection', onConnection);
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const client of wss.clients) client.terminate();
          wss.close(() => resolve());
        }),
    );
    return (wss.address() as AddressInfo).port;
  }

  it('echoes with types, offers permessage-deflate, prints the close code and exits 0 after a clean close', async () => {
    let extensions = '';
    const echoed: Array<{ data: string; isBinary: boolean }> = [];
    const port = await wsServer(
      (ws) => {
        extensions = ws.extensions;
        ws.on('message', (data, isBinary) => {
          echoed.push({ data: String(data), isBinary });
          if (echoed.length === 2) ws.close(1000, 'done');
        });
        ws.send('hello');
        ws.send(Buffer.from('bytes'));
      },
      { perMessageDeflate: true },
    );
    const client = run('echo-client.mjs', ['--runtime', 'node', `ws://127.0.0.1:${port}/`]);
    expect(await client.exited).toBe(0);
    expect(client.output()).toMatch(/^CLOSE 1000/m);
    expect(extensions).toContain('permessage-deflate');
    expect(echoed).toEqual([
      { data: 'hello', isBinary: false },
      { data: 'bytes', isBinary: true },
    ]);
  });

  it('--send TEXT --count N speaks first against pnpm echo-server, prints each reply, closes with 1000 and says what it does', async () => {
    const port = await freePort();
    const server = run('echo-server.mjs', ['--runtime', 'node', '--port', String(port)]);
    await waitForLine(server.output, /^READY$/);
    const client = run('echo-client.mjs', ['--runtime', 'node', `ws://127.0.0.1:${port}/`, '--send', 'hi there', '--count', '3']);
    expect(await client.exited).toBe(0);
    const lines = client.output().split('\n');
    expect(lines.filter((l) => l === 'hi there')).toHaveLength(3);
    expect(lines).toContain('CLOSE 1000');
    expect(client.output()).toMatch(/echo-client: connected \(extensions: permessage-deflate/);
    expect(client.output()).toMatch(/echo-client: sending "hi there" 3 times/);
    const bad = run('echo-client.mjs', ['--runtime', 'node', `ws://127.0.0.1:${port}/`, '--count', '2']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--count needs --send TEXT/);
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('exits non-zero after a failed handshake and after a failed connection', async () => {
    const port = await wsServer(() => {}, { verifyClient: (_info, cb) => cb(false, 403) });
    const refused = run('echo-client.mjs', ['--runtime', 'node', `ws://127.0.0.1:${port}/`]);
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toMatch(/FW_ERR_HANDSHAKE_STATUS.*403/);

    const closedPort = await freePort();
    const failed = run('echo-client.mjs', ['--runtime', 'node', `ws://127.0.0.1:${closedPort}/`]);
    expect(await failed.exited).not.toBe(0);
    expect(failed.output()).toMatch(/FW_ERR_CONNECTION_FAILED/);
  });
});
