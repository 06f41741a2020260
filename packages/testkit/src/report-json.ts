// The JSON report: every run with its results, plus the catalogue's metadata.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue } from './cases/index.js';
import type { RunReport } from './result.js';

/** The document written to report.json. */
export interface JsonReport {
  readonly generatedAt: string;
  readonly cases: readonly { id: string; area: string; title: string; rfc: string; rules: string; modes: readonly string[] }[];
  readonly runs: readonly RunReport[];
}

/** Build the JSON report document for some runs (only the cases they ran are described). */
export function toJsonReport(runs: readonly RunReport[]): JsonReport {
  const ran = new Set(runs.flatMap((r) => r.results.map((x) => x.id)));
  return {
    generatedAt: new Date().toISOString(),
    cases: catalogue()
      .filter((c) => ran.has(c.id))
      .map((c) => ({ id: c.id, area: c.area, title: c.title, rfc: c.rfc, rules: c.rules, modes: c.modes })),
    runs,
  };
}

/** Write `report.json` into `dir` (created if needed); returns the file path. */
export function writeJsonReport(dir: string, runs: readonly RunReport[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'report.json');
  writeFileSync(path, `${JSON.stringify(toJsonReport(runs), null, 1)}\n`);
  return path;
}
