// Our Bun server with peers written by others: Bun's built-in WebSocket
// client over wss://, and in their own processes ws's client (under Node) and
// headless Chromium (playwright-core under Node, opening a page served by
// Bun.serve on another port). A missing peer fails the run
// (FRAMEWIRE_ALLOW_SKIP=1 skips it).
import { describe, expect, it, test } from 'bun:test';
import { peerMissing, skipAllowed } from '../../codec/test/peers.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { echoServer, makeTestCert, nextConnection, nodeBinary, onCleanup, repoRoot, startChild, useCleanup, within } from './helpers.js';

useCleanup();

const fixtures = join(import.meta.dir, 'fixtures');

const missing = (what: string): boolean => peerMissing(test, what);

const hasNode = spawnSync(nodeBinary, ['--version'], { stdio: 'ignore' }).status === 0;
const hasWs = existsSync(join(repoRoot, 'node_modules', 'ws', 'package.json'));
if (!hasNode || !hasWs) missing('node or the ws package is missing: ws client interop');

/** The last JSON line a child printed. */
function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

describe("Bun's built-in WebSocket client", () => {
  it('talks to our Bun server over wss://: subprotocol, permessage-deflate, text, binary, close code', async () => {
    const cert = makeTestCert();
    onCleanup(() => cert.remove());
    const { server, port } = await echoServer({ tls: { cert: cert.cert, key: cert.key }, perMessageDeflate: true, protocols: ['chat.v2', 'chat.v1'] });
    const seen = nextConnection(server);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { protocols: ['chat.v1', 'chat.v2'], perMessageDeflate: true, tls: { ca: cert.cert } });
    ws.binaryType = 'arraybuffer';
    onCleanup(() => ws.readyState <= 1 && ws.terminate());
    await within(new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject))), 5000, 'open');
    expect(ws.protocol).toBe('chat.v2');
    expect(ws.extensions).toContain('permessage-deflate');
    const replies: unknown[] = [];
    ws.onmessage = (event) => replies.push(event.data);
    const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
    ws.send('héllo ✓');
    ws.send(bytes);
    await within(
      (async () => {
        while (replies.length < 2) await Bun.sleep(5);
      })(),
      5000,
      'two echoes',
    );
    expect(replies[0]).toBe('héllo ✓');
    expect(Buffer.from(replies[1] as ArrayBuffer).equals(Buffer.from(bytes))).toBe(true);
    const closed = within(new Promise<CloseEvent>((resolve) => (ws.onclose = resolve)), 5000, 'close');
    ws.close(4000, 'bye');
    expect((await closed).code).toBe(4000);
    expect(await (await seen).closed).toEqual({ code: 4000, reason: 'bye', wasClean: true });
  });
});

describe.skipIf(!hasNode || !hasWs)("ws's client (Node child process)", () => {
  it('talks to our Bun server: subprotocol, permessage-deflate, text, binary, close code', async () => {
    const { server, port } = await echoServer({ perMessageDeflate: true, protocols: ['chat.v1'] });
    const seen = nextConnection(server);
    const child = startChild(nodeBinary, [join(fixtures, 'ws-client.mjs'), `ws://127.0.0.1:${port}/ws`]);
    expect(await child.exited).toBe(0);
    const report = lastJson(child.stdout());
    expect(report).toMatchObject({ ok: true, protocol: 'chat.v1', text_ok: true, binary_ok: true, close_code: 4002 });
    expect(report.extensions).toContain('permessage-deflate');
    expect(await (await seen).closed).toEqual({ code: 4002, reason: 'ws bye', wasClean: true });
  });
});

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath) && existsSync(join(repoRoot, 'node_modules', 'playwright-core', 'package.json'));
if (!hasChromium) missing(`${chromiumPath} or playwright-core is missing: browser interop`);

/** The page Chromium opens: talks to ws://127.0.0.1:<wsPort>/browser, sets window.result. */
function page(wsPort: number): string {
  return `<!doctype html><meta charset="utf-8"><title>framewire bun interop</title><script>
  const result = {};
  const ws = new WebSocket('ws://127.0.0.1:${wsPort}/browser', ['chat.v1']);
  ws.binaryType = 'arraybuffer';
  const replies = [];
  ws.onmessage = (e) => replies.push(e.data);
  const waitReplies = (n) => new Promise((r) => { const t = setInterval(() => { if (replies.length >= n) { clearInterval(t); r(); } }, 5); });
  ws.onerror = () => { result.error = 'error event'; };
  ws.onopen = async () => {
    result.protocol = ws.protocol;
    result.extensions = ws.extensions;
    const text = 'chromium ✓ '.repeat(5000);
    ws.send(text);
    const bytes = new Uint8Array(100000).map((_, i) => (i * 31) % 256);
    ws.send(bytes);
    await waitReplies(2);
    result.text_ok = replies[0] === text;
    result.binary_ok = replies[1] instanceof ArrayBuffer && new Uint8Array(replies[1]).every((b, i) => b === bytes[i]);
    ws.close(4003, 'browser bye');
  };
  ws.onclose = (e) => { window.result = { ...result, close_code: e.code, close_reason: e.reason, was_clean: e.wasClean }; };
  </script>`;
}

describe.skipIf(!hasChromium)('headless Chromium (playwright-core in a Node child process)', () => {
  it('a page on http://127.0.0.1 talks to our Bun server: text, binary, permessage-deflate, close code', async () => {
    const { server, port } = await echoServer({ perMessageDeflate: true, protocols: ['chat.v1'] });
    // Our adapter serves no HTTP: the page comes from Bun.serve on another port.
    const http = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(page(port), { headers: { 'content-type': 'text/html; charset=utf-8' } }) });
    onCleanup(() => http.stop(true));
    const seen = nextConnection(server);
    const child = startChild(nodeBinary, [join(fixtures, 'chromium-page.mjs'), `http://127.0.0.1:${http.port}/`]);
    const code = await child.exited;
    if (code === 3) {
      if (!skipAllowed()) throw new Error(`Chromium could not start here: ${child.stdout().trim()}`);
      console.warn('\n!!! SKIPPED (FRAMEWIRE_ALLOW_SKIP=1): Chromium could not start here\n');
      return;
    }
    expect(code).toBe(0);
    const report = lastJson(child.stdout());
    expect(report).toMatchObject({ launched: true, protocol: 'chat.v1', text_ok: true, binary_ok: true, close_code: 4003, was_clean: true });
    expect(report.extensions).toContain('permessage-deflate');
    expect(await (await seen).closed).toEqual({ code: 4003, reason: 'browser bye', wasClean: true });
  }, 60_000);
});
