// Flow control through the real spawn helper: a program's stdio travels on
// the helper's one channel, so the windows must do what pipes would do.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OUTPUT_WINDOW } from '../src/serve/helper-protocol.js';
import type { ProgramChild } from '../src/serve/program-child.js';
import { useSpawnHelper } from './helpers/spawn-helper.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const helper = useSpawnHelper();

/** The helper's resident memory, KiB. */
function helperRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]);
}

describe('spawn helper flow control', () => {
  it('a paused reader holds at most one window of stdout; the program blocks, and every byte arrives after resume', async () => {
    const size = 8 * 1024 * 1024;
    const program = helper().spawn({ command: 'head', args: ['-c', String(size), '/dev/urandom'] }, env);
    const hash = createHash('sha256');
    let received = 0;
    let paused = true;
    program.pauseOutput();
    const ended = new Promise<void>((resolve) =>
      program.readOutput((chunk) => {
        expect(paused).toBe(false);
        received += chunk.byteLength;
        hash.update(chunk);
      }, resolve),
    );
    program.readErrors(() => {}, () => {});
    await sleep(500);
    // Blocked on its own write: nothing handed out, and it has not finished.
    expect(received).toBe(0);
    let exited = false;
    void program.exit.then(() => (exited = true));
    await sleep(100);
    expect(exited).toBe(false);
    paused = false;
    program.resumeOutput();
    await ended;
    expect(received).toBe(size);
    expect(await program.closed).toEqual({ code: 0, signal: null });
    expect(OUTPUT_WINDOW).toBeLessThan(size);
  });

  it('1 MiB written to stdin with backpressure reaches the program exactly', async () => {
    const data = randomBytes(1024 * 1024);
    const program: ProgramChild = helper().spawn({ command: 'sha256sum', args: [] }, env);
    let output = '';
    program.readOutput((chunk) => (output += Buffer.from(chunk).toString()), () => {});
    program.readErrors(() => {}, () => {});
    let waits = 0;
    for (let at = 0; at < data.length; at += 10_000) {
      if (!program.write(data.subarray(at, at + 10_000))) {
        waits++;
        await program.drained();
      }
    }
    program.endInput();
    expect(await program.closed).toEqual({ code: 0, signal: null });
    expect(output.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
    // The windows held it back at least once: nothing was buffered without bound.
    expect(waits).toBeGreaterThan(0);
  });

  it('a program flooding stderr does not starve another program, nor grow the helper', async () => {
    const flood = helper().spawn({ command: 'sh', args: ['-c', 'while :; do cat /proc/self/maps; done >&2'] }, env);
    let flooded = 0;
    flood.readOutput(() => {}, () => {});
    flood.readErrors((chunk) => (flooded += chunk.byteLength), () => {});
    // The flood is flowing before the others start.
    for (let waited = 0; flooded < 1024 * 1024 && waited < 10_000; waited += 20) await sleep(20);
    expect(flooded).toBeGreaterThanOrEqual(1024 * 1024);
    const pid = helper().pid!;
    const rssBefore = helperRssKiB(pid);
    const floodedBefore = flooded;
    for (let round = 0; round < 20; round++) {
      const echo = helper().spawn({ command: 'cat', args: [] }, env);
      let got = '';
      echo.readOutput((chunk) => (got += Buffer.from(chunk).toString()), () => {});
      echo.readErrors(() => {}, () => {});
      echo.write(`round ${round}\n`);
      echo.endInput();
      expect(await echo.closed).toEqual({ code: 0, signal: null });
      expect(got).toBe(`round ${round}\n`);
    }
    // It kept flooding all along.
    expect(flooded).toBeGreaterThan(floodedBefore);
    expect(helperRssKiB(pid) - rssBefore).toBeLessThan(8 * 1024);
    flood.signalGroup('SIGKILL');
    expect((await flood.closed).signal).toBe('SIGKILL');
  });
});
