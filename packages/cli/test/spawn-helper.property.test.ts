// The spawn helper's request encoding and record decoding, as a property:
// whatever arguments and environment a program is given (any Unicode but
// NUL, values large enough that the helper reads a request in pieces), it
// gets exactly those, and its exit code comes back to the right program
// while others run beside it. Fixed seed; FW_FUZZ_RUNS for a longer run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProgramChild } from '../src/serve/program-child.js';
import { useSpawnHelper } from './helpers/spawn-helper.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 30);
const settings = { numRuns: runs, seed: 42 };

const helper = useSpawnHelper();

/** Everything a program printed, and how it ended. */
async function outcome(child: ProgramChild): Promise<{ output: Buffer; code: number | null }> {
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve) => child.readOutput((chunk) => chunks.push(Buffer.from(chunk)), resolve));
  child.readErrors(() => {}, () => {});
  child.endInput();
  const exit = await child.closed;
  await ended;
  return { output: Buffer.concat(chunks), code: exit.code };
}

const text = fc.string({ unit: 'binary', maxLength: 40 }).map((value) => value.replaceAll('\0', ''));
// Now and then a value larger than a pipe's buffer: the helper must gather the request from several
// reads (below Linux's 128 KiB limit for one argument or variable).
const value = fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: fc.integer({ min: 70_000, max: 120_000 }).map((size) => 'v'.repeat(size)) });
const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
const program = fc.record({
  args: fc.array(value, { maxLength: 6 }),
  env: fc.uniqueArray(fc.tuple(name, value), { maxLength: 6, selector: ([key]) => key }),
  code: fc.integer({ min: 0, max: 255 }),
});

describe('spawn helper requests (property)', () => {
  it('arguments, environment and exit codes arrive exactly, for programs started together', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(program, { minLength: 1, maxLength: 5 }), async (programs) => {
        const started = programs.map(({ args, env, code }) => ({
          args: helper().spawn({ command: '/usr/bin/printf', args: ['%s\\0', ...args] }, {}),
          env: helper().spawn({ command: '/usr/bin/env', args: ['-0'] }, Object.fromEntries(env)),
          exit: helper().spawn({ command: '/bin/sh', args: ['-c', `exit ${code}`] }, {}),
        }));
        for (const [index, { args, env, code }] of programs.entries()) {
          const run = started[index]!;
          const printed = await outcome(run.args);
          // printf with no argument still prints the format once.
          const wantArgs = args.length === 0 ? '\0' : args.map((arg) => `${arg}\0`).join('');
          expect(printed.output.equals(Buffer.from(wantArgs))).toBe(true);
          const environment = await outcome(run.env);
          expect(environment.output.equals(Buffer.from(env.map(([key, val]) => `${key}=${val}\0`).join('')))).toBe(true);
          expect((await outcome(run.exit)).code).toBe(code);
        }
      }),
      settings,
    );
  }, 120_000);
});
