// `pnpm start --cluster 2` in headless Chromium (Debian's, through
// playwright-core), on each runtime: Node forks two node:cluster workers,
// Bun and Deno run two processes with SO_REUSEPORT, all on a redis-server
// the start script runs itself. Two pages are made to land on different
// processes (the second reconnects until its served-by differs, bounded), a
// chat line from each reaches the other marked with its sender's process,
// the online count is the total of both processes, and SIGTERM stops every
// process, redis-server included (checked in /proc).
// A screenshot goes to reports/demo-cluster-<runtime>.png at the repository root.
// A missing Chromium fails the run (FRAMEWIRE_ALLOW_SKIP=1 skips it).
import { existsSync, mkdirSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerMissing } from '../../../packages/codec/test/peers.js';
import { startDemo, type DemoProcess } from './demo-server.js';
import { alive, commandName, processTree } from './process-tree.js';

const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((path): path is string => !!path);
const chromiumPath = candidates.find((path) => existsSync(path));
if (chromiumPath === undefined) peerMissing(it, `Chromium (looked at ${candidates.join(', ')}; apt-get install chromium): the cluster demo in a browser`);

const reports = fileURLToPath(new URL('../../../reports/', import.meta.url));
const runtimes = ['node', 'bun', 'deno'] as const;
/** Reconnections tried before giving up on landing the second page on the other process. */
const MAX_TRIES = 30;

/** One HTTP request on a connection of its own (no agent: `Connection: close`). */
function oneConnection(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', resolve);
    }).on('error', reject);
  });
}

const servedBy = (page: Page): Promise<string | null> => page.locator('#served-by').getAttribute('data-worker');

describe.skipIf(chromiumPath === undefined)('the demo with --cluster 2 in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(reports, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe.each(runtimes)('served by %s', (runtime) => {
    let demo: DemoProcess;
    let tree: number[] = [];
    let first: Page;
    let second: Page;

    beforeAll(async () => {
      demo = await startDemo(runtime, 60_000, ['--cluster', '2']);
      tree = processTree(demo.pid);
      first = await browser.newPage();
      second = await browser.newPage();
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      if (demo !== undefined && alive([demo.pid]).length > 0) await demo.stop();
    });

    it('starts two server processes and a redis-server under the start script', () => {
      const workers = [...demo.output().matchAll(/^process (\d)\/2 pid (\d+) ready/gm)].map((m) => Number(m[2]));
      expect(workers).toHaveLength(2);
      for (const pid of workers) expect(tree).toContain(pid);
      const redis = Number(/redis-server \(pid (\d+)\)/.exec(demo.output())?.[1]);
      expect(tree).toContain(redis);
      expect(commandName(redis)).toMatch(/redis/);
      expect(demo.output()).toMatch(new RegExp(`framewire demo on ${runtime} .*2 processes`));
    });

    it('lands two pages on different processes; chat crosses, marked with the sender process; online counts both', async () => {
      await first.goto(demo.url);
      await expect.poll(() => servedBy(first)).toMatch(/^[12]$/);
      const firstWorker = (await servedBy(first))!;
      await expect.poll(() => first.locator('#runtime').getAttribute('data-processes')).toBe('2');

      // Connections are spread by the kernel (SO_REUSEPORT) or round-robin (node:cluster): reconnect until the other one.
      let secondWorker: string | null = null;
      for (let tries = 0; tries < MAX_TRIES && (secondWorker === null || secondWorker === firstWorker); tries++) {
        if (tries === 0) await second.goto(demo.url);
        else {
          // node:cluster deals connections round-robin: if every reload opens the
          // same number of them, the page's WebSocket can land on the same process
          // every time. One extra connection on every other try breaks that parity.
          if (tries % 2 === 1) await oneConnection(demo.url);
          await second.reload();
        }
        await expect.poll(() => servedBy(second)).toMatch(/^[12]$/);
        secondWorker = await servedBy(second);
      }
      expect(secondWorker, `the second page never landed on the other process in ${MAX_TRIES} tries`).not.toBe(firstWorker);

      // The total of both processes' members, on both pages (announcements expire, so left-over reloads drop out).
      for (const page of [first, second]) await expect.poll(() => page.locator('#online').innerText(), { timeout: 15_000 }).toBe('2');

      await first.fill('#text', `hello from process ${firstWorker} on ${runtime}`);
      await first.click('#send');
      const fromFirst = second.locator('#log p', { hasText: `hello from process ${firstWorker} on ${runtime}` });
      await expect.poll(() => fromFirst.count()).toBe(1);
      expect(await fromFirst.locator('.via').getAttribute('data-worker')).toBe(firstWorker);

      await second.fill('#text', `hello back from process ${secondWorker}`);
      await second.click('#send');
      const fromSecond = first.locator('#log p', { hasText: `hello back from process ${secondWorker}` });
      await expect.poll(() => fromSecond.count()).toBe(1);
      expect(await fromSecond.locator('.via').getAttribute('data-worker')).toBe(secondWorker);
      expect(await fromSecond.locator('.via').innerText()).toMatch(new RegExp(`^via process ${secondWorker} · pid \\d+$`));
      await first.screenshot({ path: `${reports}demo-cluster-${runtime}.png`, fullPage: true });
    });

    it('counts one online everywhere after a page leaves', async () => {
      await second.close();
      await expect.poll(() => first.locator('#online').innerText(), { timeout: 15_000 }).toBe('1');
    });

    it('SIGTERM stops every process, redis-server included, and exits 0', async () => {
      expect(tree.length).toBeGreaterThanOrEqual(4); // start script, redis-server, two servers (plus node's primary)
      expect(await demo.stop()).toBe(0);
      await expect.poll(() => alive(tree), { timeout: 10_000 }).toEqual([]);
      expect(demo.output()).toMatch(/all processes closed/);
    });
  });
});
