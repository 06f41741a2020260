import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { peerMissing } from './peers.js';

// The codec must load unchanged in a browser (ARCHITECTURE.md): bundle the same
// fixture the runtime smoke test runs, load it in headless Chromium from a
// page on 127.0.0.1, and compare its frames with Node's byte for byte.
const here = dirname(fileURLToPath(import.meta.url));
const fixture = resolve(here, 'runtimes/frames-fixture.mjs');
const chromiumPath = '/usr/bin/chromium';
const built = existsSync(resolve(here, '../dist/protocol/index.js'));
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) peerMissing(it, `${chromiumPath} (apt-get install chromium): the codec in a browser`);
if (!built) peerMissing(it, 'the built codec (packages/codec/dist): run pnpm build first');

describe.skipIf(!hasChromium || !built)('the built codec in Chromium', () => {
  let server: Server | undefined;
  afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  it('encodes and decodes the same bytes as Node', async () => {
    const bundle = await build({ entryPoints: [fixture], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
    const script = bundle.outputFiles[0]!.text.replace('console.log(', 'globalThis.__framewire = (');
    server = createServer((req, res) => {
      if (req.url === '/fixture.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/fixture.js"></script>');
    });
    await new Promise<void>((ready) => server!.listen(0, '127.0.0.1', ready));
    const { port } = server.address() as AddressInfo;
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      const inBrowser = await page.waitForFunction(() => (globalThis as { __framewire?: string }).__framewire, undefined, { timeout: 20_000 });
      const fromBrowser = (await inBrowser.jsonValue()) as string;
      const fromNode = spawnSync(process.execPath, [fixture], { encoding: 'utf8' }).stdout.trim();
      expect(JSON.parse(fromBrowser).frames.length).toBe(18);
      expect(fromBrowser).toBe(fromNode);
    } finally {
      await browser.close();
    }
  });
});
