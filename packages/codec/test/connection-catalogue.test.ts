import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogue, expectedOutcome, renderCatalogueMarkdown, runCatalogueCase } from '../src/testing/catalogue/index.js';

describe('connection conformance catalogue', () => {
  it('has at least 250 cases with unique ids in every area', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(250);
    expect(new Set(catalogue.map((c) => c.id)).size).toBe(catalogue.length);
    expect(new Set(catalogue.map((c) => c.area))).toEqual(
      new Set(['framing', 'ping-pong', 'reserved-bits', 'opcodes', 'fragmentation', 'utf8', 'close', 'limits']),
    );
  });

  for (const role of ['server', 'client'] as const) {
    describe(`${role} role`, () => {
      for (const c of catalogue) {
        it(`${c.id}: ${c.title}`, () => {
          const expected = expectedOutcome(c);
          expect(runCatalogueCase(c, role, 'per-step')).toEqual(expected);
          expect(runCatalogueCase(c, role, 'whole')).toEqual(expected);
          expect(runCatalogueCase(c, role, 'byte-by-byte')).toEqual(expected);
        });
      }
    });
  }

  it('docs/catalogue.md is up to date (node scripts/generate-catalogue-md.mjs)', () => {
    const onDisk = readFileSync(new URL('../docs/catalogue.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderCatalogueMarkdown(catalogue));
  });
});
