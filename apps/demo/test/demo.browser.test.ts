// The demo in headless Chromium (Debian's, through playwright-core), on each
// runtime: two pages, one desktop-sized and one phone-sized, check the
// online count, the chat between them, permessage-deflate, the echo panel
// (round trip, RTT, fewer bytes on the wire than in the message), the 1009
// after "Send 100 MiB", and the layout at 390 px. Screenshots go to
// reports/demo-<runtime>-<desktop|mobile>.png at the repository root.
// A missing Chromium fails the run (FRAMEWIRE_ALLOW_SKIP=1 skips it).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerMissing } from '../../../packages/codec/test/peers.js';
import { startDemo, type DemoProcess } from './demo-server.js';

const reports = fileURLToPath(new URL('../../../reports/', import.meta.url));
const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((path): path is string => !!path);
const chromiumPath = candidates.find((path) => existsSync(path));
if (chromiumPath === undefined) peerMissing(it, `Chromium (looked at ${candidates.join(', ')}; apt-get install chromium): the demo in a browser`);

const DESKTOP = { width: 1440, height: 900 };
const MOBILE = { width: 390, height: 844 };
const runtimes = ['node', 'bun', 'deno'] as const;

/** What the echo panel leaves on `window` after a run. */
interface EchoRun {
  count: number;
  ok: number;
  size: number;
  wireUp: number;
  wireDown: number;
  median: number;
  p99: number;
}

const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText();

describe.skipIf(chromiumPath === undefined)('the demo in Chromium', () => {
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
    let desktop: Page;
    let mobile: Page;

    beforeAll(async () => {
      demo = await startDemo(runtime);
      desktop = await browser.newPage({ viewport: DESKTOP });
      mobile = await browser.newPage({ viewport: MOBILE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      await desktop.goto(demo.url);
      await mobile.goto(demo.url);
    });

    afterAll(async () => {
      await desktop?.close();
      await mobile?.close();
      // SIGTERM: the demo closes its WebSockets with 1001 and exits 0.
      if (demo !== undefined) expect(await demo.stop()).toBe(0);
    });

    it('shows its runtime, negotiates permessage-deflate and counts two pages online', async () => {
      for (const page of [desktop, mobile]) {
        await expect.poll(() => page.locator('#runtime').getAttribute('data-runtime')).toBe(runtime);
        await expect.poll(() => text(page, '#online')).toBe('2');
        await expect.poll(() => text(page, '#chat-deflate')).toContain('permessage-deflate');
        await expect.poll(() => text(page, '#echo-deflate')).toContain('permessage-deflate');
      }
      const favicon = await desktop.request.get(new URL('/favicon.ico', demo.url).href);
      expect(favicon.status()).toBe(200);
      expect(favicon.headers()['content-type']).toBe('image/svg+xml');
    });

    it('carries a chat message from one page to the other, cuts a long one with a notice and wraps it', async () => {
      await desktop.fill('#text', `hello from the desktop on ${runtime}`);
      await desktop.click('#send');
      await expect.poll(() => text(mobile, '#log')).toContain(`hello from the desktop on ${runtime}`);
      await mobile.fill('#text', 'w'.repeat(2500));
      await mobile.click('#send');
      await expect.poll(() => text(desktop, '#log')).toContain('[cut: 2,000 of 2,500 characters shown]');
      await expect.poll(() => text(mobile, '#log')).toContain('[cut: 2,000 of 2,500 characters shown]');
      // The 2,000-letter word wraps inside the log instead of widening it.
      const log = await mobile.locator('#log').evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth }));
      expect(log.scroll).toBeLessThanOrEqual(log.client);
    });

    it('echoes through the panel with RTT figures and fewer bytes on the wire than in the message', async () => {
      await desktop.selectOption('#echo-size', '16384');
      await desktop.selectOption('#echo-kind', 'text');
      await desktop.selectOption('#echo-content', 'repetitive');
      await desktop.fill('#echo-count', '20');
      await desktop.click('#echo-send');
      await expect.poll(() => text(desktop, '#echo-check')).toBe('20/20 identical');
      const run = (await desktop.evaluate(() => (window as unknown as { lastEchoRun: unknown }).lastEchoRun)) as EchoRun;
      expect(run).toMatchObject({ count: 20, ok: 20, size: 16384 });
      expect(run.median).toBeGreaterThan(0);
      expect(run.p99).toBeGreaterThanOrEqual(run.median);
      expect(run.wireUp).toBeLessThan(run.size / 4);
      expect(run.wireDown).toBeLessThan(run.size / 4);
      expect(await text(desktop, '#rtt-median')).toMatch(/ms$/);

      // Random binary does not compress: about the message size goes over the wire.
      await mobile.selectOption('#echo-size', '1024');
      await mobile.selectOption('#echo-kind', 'binary');
      await mobile.selectOption('#echo-content', 'random');
      await mobile.fill('#echo-count', '5');
      await mobile.click('#echo-send');
      await expect.poll(() => text(mobile, '#echo-check')).toBe('5/5 identical');
      const random = (await mobile.evaluate(() => (window as unknown as { lastEchoRun: unknown }).lastEchoRun)) as EchoRun;
      expect(random.wireUp).toBeGreaterThanOrEqual(1024);
      // The figures beside the screenshots (informational: no timing is asserted).
      writeFileSync(`${reports}demo-${runtime}-echo.json`, `${JSON.stringify({ runtime, repetitiveText16KiB: run, randomBinary1KiB: random }, null, 2)}\n`);
    });

    it('"Send 100 MiB" ends in 1009 in the close list, and the echo reconnects', async () => {
      await desktop.click('#big-send');
      await expect.poll(() => desktop.evaluate(() => (window as unknown as { lastEchoClose?: number }).lastEchoClose), { timeout: 30_000 }).toBe(1009);
      for (const page of [desktop, mobile]) {
        await expect.poll(() => page.locator('#closes li[data-code="1009"]').count()).toBeGreaterThan(0);
      }
      await expect.poll(() => text(desktop, '#echo-state'), { timeout: 10_000 }).toBe('connected');
    });

    it('fits a 390 px screen with Send visible, and saves screenshots', async () => {
      const overflow = await mobile.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }));
      expect(overflow.scroll).toBeLessThanOrEqual(overflow.inner);
      for (const id of ['#send', '#echo-send', '#big-send']) {
        const box = await mobile.locator(id).boundingBox();
        expect(box).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(MOBILE.width);
      }
      await desktop.screenshot({ path: `${reports}demo-${runtime}-desktop.png`, fullPage: true });
      await mobile.screenshot({ path: `${reports}demo-${runtime}-mobile.png`, fullPage: true });
    });

    it('counts one online after a page leaves', async () => {
      await mobile.close();
      await expect.poll(() => text(desktop, '#online')).toBe('1');
      await expect.poll(() => desktop.locator('#closes li[data-code="1001"]').count()).toBeGreaterThan(0);
    });
  });
});
