// The WHATWG scenarios (codec/test/adapter-behaviour/whatwg-scenarios.ts)
// run from a page in headless Chromium against a framewire server: the
// browser's own WebSocket must see what the standard asks, the same traces
// framewire's class is held to on Node, Bun and Deno.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { expectedStreamTraces, expectedTraces, knownDifferences } from '../../codec/test/adapter-behaviour/whatwg-expected.js';
import { whatwgScenarioServer, type WhatwgApi } from '../../codec/test/adapter-behaviour/whatwg.suite.js';
import type { ServerLike } from '../../codec/test/adapter-behaviour/fixture.js';
import * as adapter from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) peerMissing(it, `${chromiumPath} (apt-get install chromium): the WHATWG scenarios in a browser`);

/** The page's script: every scenario against the browser's WebSocket, results on `globalThis.__traces`. */
const pageEntry = `
import { scenarios, streamScenarios, constructorChecks } from './whatwg-scenarios.ts';
const base = new URLSearchParams(location.search).get('ws');
const traces = {};
for (const [name, run] of Object.entries(scenarios)) {
  try { traces[name] = await run(WebSocket, base); } catch (error) { traces[name] = String(error); }
}
traces.constructor = constructorChecks(WebSocket, base);
for (const [name, run] of Object.entries(streamScenarios)) {
  try { traces[name] = await run(WebSocketStream, base); } catch (error) { traces[name] = String(error); }
}
globalThis.__traces = JSON.stringify(traces);
`;

describe.skipIf(!hasChromium)('the WHATWG scenarios from a page in Chromium, against a framewire server', () => {
  const closers: (() => unknown)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('the browser sees the traces the standard asks for', async () => {
    const base = await whatwgScenarioServer(adapter as unknown as WhatwgApi, async (options) => {
      const server = new adapter.WebSocketServer({ host: '127.0.0.1', port: 0, ...(options as adapter.ServerOptions) });
      const { port } = await server.listen();
      closers.push(() => server.close({ timeout: 300 }));
      return { server: server as unknown as ServerLike, url: `ws://127.0.0.1:${port}` };
    });
    const bundle = await build({
      stdin: { contents: pageEntry, resolveDir: resolve(here, '../../codec/test/adapter-behaviour'), loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    const http: Server = createServer((req, res) => {
      if (req.url === '/scenarios.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/scenarios.js"></script>');
    });
    await new Promise<void>((ready) => http.listen(0, '127.0.0.1', ready));
    closers.push(() => new Promise((done) => http.close(done)));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-features=LocalNetworkAccessChecks'],
    });
    closers.push(() => browser.close());
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/?ws=${encodeURIComponent(base)}`);
    const done = await tab.waitForFunction(() => (globalThis as { __traces?: string }).__traces, undefined, { timeout: 60_000 });
    const traces = JSON.parse((await done.jsonValue()) as string) as Record<string, unknown>;
    const listed = knownDifferences['chromium'] ?? {};
    for (const [name, expected] of Object.entries(expectedTraces)) {
      expect(traces[name], `Chromium's trace of "${name}" (listed: ${listed[name]?.why ?? 'none'})`).toEqual(listed[name]?.trace ?? expected);
    }
    // WebSocketStream: Chromium's own (shipped since Chrome 124) against the same server.
    for (const [name, expected] of Object.entries(expectedStreamTraces)) {
      expect(traces[name], `Chromium's WebSocketStream trace of "${name}" (listed: ${listed[name]?.why ?? 'none'})`).toEqual(listed[name]?.stream ?? expected);
    }
    // A page has a document base URL, so a relative URL resolves against it (constructor step 1: "Let baseURL be this's
    // relevant settings object's API base URL"); framewire has no document, so there it is a SyntaxError.
    const page = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    expect(traces['constructor']).toEqual({
      'relative URL': `url:${page}/path`,
      'not a URL': `url:${page}/not%20a%20url`,
      'ftp scheme': 'throws:SyntaxError',
      fragment: 'throws:SyntaxError',
      'empty fragment': 'throws:SyntaxError',
      'repeated subprotocol': 'throws:SyntaxError',
      'subprotocol with a space': 'throws:SyntaxError',
      'empty subprotocol': 'throws:SyntaxError',
      'http maps to ws': 'url:ws://HOST/reject',
    });
  }, 120_000);
});
