// `pnpm echo-server --runtime node --http2 --port N`, run as the root
// script runs it (through scripts/echo-server.mjs, on the built dist): h2
// (RFC 8441) and HTTP/1.1 upgrades on one TLS port.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function echoServer(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [`${root}scripts/echo-server.mjs`, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function ready(output: () => string): Promise<void> {
  const start = Date.now();
  while (!/^READY$/m.test(output())) {
    if (Date.now() - start > 30_000) throw new Error(`no READY in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('pnpm echo-server --runtime node --http2', () => {
  it('echoes over RFC 8441 streams and HTTP/1.1 upgrades on one port, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = echoServer(['--runtime', 'node', '--http2', '--port', String(port)]);
    await ready(server.output);
    const certPath = /certificate (\S+cert\.pem)/.exec(server.output())?.[1];
    expect(certPath).toBeDefined();
    const tls = { ca: readFileSync(certPath!) };
    for (const http2 of [true, false]) {
      const ws = await connect(`wss://127.0.0.1:${port}/any`, { http2, tls });
      expect(ws.transportKind).toBe(http2 ? 'http2' : 'tls');
      expect(ws.extensions).toContain('permessage-deflate');
      const reply = new Promise((resolve) => ws.once('message', (data, isBinary) => resolve([data, isBinary])));
      ws.send(new Uint8Array([7, 8]));
      expect(await reply).toEqual([new Uint8Array([7, 8]), true]);
      ws.close(1000);
      expect((await ws.closed).code).toBe(1000);
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('refuses --http2 on a runtime without an extended CONNECT server (exit 2, says why)', async () => {
    const server = echoServer(['--runtime', 'bun', '--http2', '--port', '0']);
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/--http2 is for --runtime node/);
  });
});
