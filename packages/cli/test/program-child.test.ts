// ProgramChild, the program's process and pipes, on each spawn it has:
// node:child_process (checked here) and Bun.spawn (the same checks run by
// the repository's bun binary; a missing bun fails the run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peerMissing } from '../../codec/test/peers.js';
import { spawnChild } from '../src/serve/program-child.js';
import { EXPECTED_CHECKS, programChildChecks } from './fixtures/program-child-checks.js';

const bun = fileURLToPath(new URL('../../../node_modules/.bin/bun', import.meta.url));

describe('ProgramChild', () => {
  it('on Node (child_process): lines both ways, exit codes, signals to the group, exact env, stdin backpressure, EPIPE ignored', async () => {
    expect(await programChildChecks(spawnChild)).toEqual(EXPECTED_CHECKS);
  });

  if (!existsSync(bun)) peerMissing(it, `${bun} (pnpm install): ProgramChild on Bun.spawn`);
  it.skipIf(!existsSync(bun))('on Bun (Bun.spawn): the same checks', () => {
    const script = fileURLToPath(new URL('./fixtures/run-program-child.ts', import.meta.url));
    const run = spawnSync(bun, [script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(EXPECTED_CHECKS);
  });
});
