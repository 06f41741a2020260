// `framewire serve` with clients written by others: Python's websockets
// (Debian python3-websockets) and headless Chromium (Debian chromium, via
// playwright-core). A missing peer fails the run (FRAMEWIRE_ALLOW_SKIP=1 skips).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { startCli, stopAll } from './helpers/cli.js';

afterEach(stopAll);

const python = '/usr/bin/python3';
const hasPython = existsSync(python) && spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
if (!hasPython) peerMissing(it, '/usr/bin/python3 with websockets (apt-get install python3-websockets): CLI interop');

// websockets 10.4, asyncio API: send lines, read the answers, report the close code.
const PYTHON_CLIENT = `
import asyncio, json, sys, websockets
async def main(url, lines):
    got = []
    async with websockets.connect(url) as ws:
        for line in lines:
            await ws.send(line)
            got.append(await ws.recv())
        if lines:
            await ws.close()
        else:
            try:
                async for message in ws:
                    got.append(message)
            except websockets.ConnectionClosed:
                pass
        await ws.wait_closed()
        print(json.dumps({"got": got, "code": ws.close_code, "reason": ws.close_reason}))
asyncio.run(main(sys.argv[1], sys.argv[2:]))
`;

function pythonClient(url: string, lines: string[] = []): { got: string[]; code: number; reason: string } {
  // cwd: a folder of ours, so no stray module shadows the standard library.
  const result = spawnSync(python, ['-c', PYTHON_CLIENT, url, ...lines], { encoding: 'utf8', timeout: 20_000, cwd: mkdtempSync(join(tmpdir(), 'fw-py-')) });
  if (result.status !== 0) throw new Error(`python client failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as { got: string[]; code: number; reason: string };
}

describe.skipIf(!hasPython)('Python websockets against framewire serve', () => {
  it('cat echoes lines, the close at the end is 1000', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'cat']);
    expect(pythonClient(`ws://127.0.0.1:${cli.port}/`, ['one', 'twö'])).toEqual({ got: ['one', 'twö'], code: 1000, reason: '' });
  });

  it("sh -c 'echo $QUERY_STRING' and an exit 3 (1011)", async () => {
    const cli = await startCli(['serve', '--port', '0', '--path', '/fail=["sh","-c","exit 3"]', '--', 'sh', '-c', 'echo "$QUERY_STRING"']);
    expect(pythonClient(`ws://127.0.0.1:${cli.port}/?a=b`)).toEqual({ got: ['a=b'], code: 1000, reason: '' });
    expect(pythonClient(`ws://127.0.0.1:${cli.port}/fail`)).toMatchObject({ got: [], code: 1011, reason: 'program exited with 3' });
  });
});

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) peerMissing(it, `${chromiumPath} (apt-get install chromium): CLI browser interop`);

describe.skipIf(!hasChromium)('Chromium against framewire serve --staticdir', () => {
  it('loads the page from the same port, talks to the program, sees 1011 from an exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-page-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>framewire</title>');
    const cli = await startCli(['serve', '--port', '0', '--staticdir', dir, '--path', '/fail=["sh","-c","exit 3"]', '--path', '/cat=cat']);
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${cli.port}/`);
      expect(await page.title()).toBe('framewire');
      const result = await page.evaluate(async () => {
        const talk = (path: string, send: string[]): Promise<{ got: string[]; code: number; reason: string; extensions: string }> =>
          new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}${path}`);
            const got: string[] = [];
            ws.onopen = () => {
              for (const line of send) ws.send(line);
            };
            ws.onmessage = (event) => {
              got.push(String(event.data));
              if (got.length === send.length && send.length > 0) ws.close(1000);
            };
            ws.onclose = (event) => resolve({ got, code: event.code, reason: event.reason, extensions: ws.extensions });
          });
        return { cat: await talk('/cat', ['from the browser', 'second']), fail: await talk('/fail', []) };
      });
      expect(result.cat).toMatchObject({ got: ['from the browser', 'second'], code: 1000 });
      expect(result.cat.extensions).toContain('permessage-deflate');
      expect(result.fail).toMatchObject({ got: [], code: 1011, reason: 'program exited with 3' });
    } finally {
      await browser.close();
    }
  });
});
