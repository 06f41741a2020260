import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '../src/cases/index.js';
import type { RunReport } from '../src/result.js';
import { runServerSuite } from '../src/runner-server.js';
import { startWsEcho, WS_KNOWN_NON_STRICT } from './helpers.js';

describe('the ws echo server as the control (whole catalogue)', () => {
  let server: Awaited<ReturnType<typeof startWsEcho>>;
  let report: RunReport;

  beforeAll(async () => {
    server = await startWsEcho();
    report = await runServerSuite({ url: server.url, target: 'ws' });
  }, 240_000);
  afterAll(async () => {
    await server?.close();
  });

  it('runs every server case, with no fail and nothing unimplemented', () => {
    const failures = report.results.filter((r) => r.verdict === 'fail').map((r) => `${r.id}: ${r.reason}`);
    expect(failures).toEqual([]);
    expect(report.results).toHaveLength(catalogue().filter((c) => c.modes.includes('server')).length);
    expect(report.counts.unimplemented).toBe(0);
    expect(report.counts.pass).toBeGreaterThan(500);
  });

  it('has only its known non-strict results', () => {
    const unexpected = report.results
      .filter((r) => r.verdict === 'non-strict' && !WS_KNOWN_NON_STRICT.some((re) => re.test(r.id)))
      .map((r) => `${r.id}: ${r.reason}`);
    expect(unexpected).toEqual([]);
    // ws is not fail-fast on UTF-8: each fail-fast case must show it.
    const failFast = report.results.filter((r) => r.id.startsWith('utf8.invalid.') && /fail-fast/.test(r.title));
    expect(failFast.length).toBeGreaterThan(50);
    expect(failFast.every((r) => r.verdict === 'non-strict')).toBe(true);
  });

  it('keeps the observed trace for every result other than a pass', () => {
    for (const r of report.results) {
      if (r.verdict === 'pass') expect(r.trace).toBeUndefined();
      else expect(r.trace?.length).toBeGreaterThan(0);
    }
  });

  it('finishes well under a minute', () => {
    expect(report.durationMs).toBeLessThan(60_000);
  });
});
