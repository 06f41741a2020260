import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueMarkdown, CATALOGUE_END, CATALOGUE_START } from '../src/catalogue-doc.js';
import { catalogue } from '../src/cases/index.js';
import { main } from '../src/cli.js';
import { renderHtmlReport } from '../src/report-html.js';
import type { RunReport } from '../src/result.js';
import { matchesFilter } from '../src/result.js';
import { summaryTable } from '../src/summary.js';
import { startWsEcho } from './helpers.js';

describe('catalogue', () => {
  it('has several hundred cases with unique ids, an RFC reference and rules each', () => {
    const cases = catalogue();
    expect(cases.length).toBeGreaterThan(300);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const c of cases) {
      expect(c.rfc).toMatch(/RFC \d+/);
      expect(c.rules.length).toBeGreaterThan(20);
      expect(c.modes.length).toBeGreaterThan(0);
    }
  });

  it('README.md holds the current generated catalogue (run `pnpm readme` after a build if not)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf(CATALOGUE_START) + CATALOGUE_START.length, readme.indexOf(CATALOGUE_END)).trim();
    expect(section).toBe(catalogueMarkdown().trim());
  });

  it('filters ids by globs and prefixes', () => {
    expect(matchesFilter('utf8.invalid.byte-ff.cut.1', 'utf8.*')).toBe(true);
    expect(matchesFilter('utf8.invalid.byte-ff.cut.1', 'close.*,utf8.invalid.byte-??.cut.1')).toBe(true);
    expect(matchesFilter('close.empty', 'close')).toBe(true);
    expect(matchesFilter('closed', 'close')).toBe(false);
  });
});

describe('reports and CLI', () => {
  let server: Awaited<ReturnType<typeof startWsEcho>>;
  let dir: string;
  beforeAll(async () => {
    server = await startWsEcho({ skipUTF8Validation: true });
    dir = mkdtempSync(join(tmpdir(), 'fw-testkit-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('`server` exits 1 on a failing case and writes JSON and HTML reports', async () => {
    const code = await main(['server', server.url, '--cases', 'ping.payload.*,utf8.invalid.byte-ff.whole', '--report', dir, '--name', 'lax-ws']);
    expect(code).toBe(1);
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { runs: RunReport[]; cases: { id: string }[] };
    expect(json.runs[0]?.target).toBe('lax-ws');
    expect(json.runs[0]?.counts).toMatchObject({ pass: 4, fail: 1 });
    expect(json.cases.map((c) => c.id)).toContain('utf8.invalid.byte-ff.whole');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('utf8.invalid.byte-ff.whole');
    expect(html).not.toMatch(/<\/script>[^]*<\/script>[^]*<\/script>[^]*<\/script>/);
  });

  it('`server` exits 0 when nothing fails', async () => {
    expect(await main(['server', server.url, '--cases', 'ping.payload.*'])).toBe(0);
  });

  it('rejects usage errors with exit code 2', async () => {
    expect(await main(['server'])).toBe(2);
    expect(await main(['bogus'])).toBe(2);
    expect(await main(['client'])).toBe(2);
  });

  it('escapes payload text in the HTML and prints an area table', () => {
    const run: RunReport = {
      target: 'x', mode: 'server', subject: 'ws://x', startedAt: '', durationMs: 1200,
      counts: { pass: 0, 'non-strict': 0, fail: 1, unimplemented: 0, informational: 0 },
      results: [{ id: 'ping.payload.0', area: 'ping', title: 't', rfc: 'RFC 6455', verdict: 'fail', reason: '</script><b>', durationMs: 1, trace: [{ t: 0, dir: '<', text: '</script>' }] }],
    };
    const html = renderHtmlReport([run]);
    expect(html.split('</script>').length).toBe(3);
    expect(summaryTable([run])).toMatch(/ping\s+0\/0\/1/);
  });
});
