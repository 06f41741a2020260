// Process hygiene of `framewire serve`: after many connect/disconnect
// cycles no program is left, as a child (zombie or not) or as an orphan.
// CI runs 200 cycles; FW_CLI_CYCLES=1000 (or more) by hand.
import { connect } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, processAlive, startCli, stopAll, waitFor } from './helpers/cli.js';

afterEach(stopAll);

const CYCLES = Math.max(1, Number(process.env.FW_CLI_CYCLES ?? 200));
const PARALLEL = 10;

describe('process hygiene', () => {
  it(`${CYCLES} connect/disconnect cycles leave no child, zombie or orphan`, async () => {
    // Each program reports its pid, then forks a grandchild (sleep) that would be orphaned if only sh were killed.
    const cli = await startCli(['serve', '--port', '0', '--quiet', '--close-grace', '0.1', '--kill-grace', '0.2', '--', 'sh', '-c', 'echo $$; sleep 60 & cat']);
    const pids: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < CYCLES) {
        const cycle = next++;
        const session = await connect(`ws://127.0.0.1:${cli.port}/`, { perMessageDeflate: cycle % 2 === 0 });
        const messages = session[Symbol.asyncIterator]();
        const first = await messages.next();
        pids.push(Number(first.value));
        session.send(`ping ${cycle}`);
        expect((await messages.next()).value).toBe(`ping ${cycle}`);
        // Half close cleanly, half vanish (TCP reset without a close frame).
        if (cycle % 2 === 0) {
          session.close(1000);
          await session.closed;
        } else session.terminate();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(pids).toHaveLength(CYCLES);
    const server = cli.process.pid!;
    await waitFor(() => childrenOf(server).length === 0, 20_000, `the server's children to be reaped: ${JSON.stringify(childrenOf(server).slice(0, 5))}`);
    // Not reparented elsewhere either: every program pid is gone.
    await waitFor(() => pids.every((pid) => !processAlive(pid)), 10_000, 'every program to be gone');
    expect(childrenOf(server)).toEqual([]);
    // The grandchildren (sleep 60) share the program's process group; none may survive.
    const { readdirSync, readFileSync } = await import('node:fs');
    const groups = new Set(pids);
    const inProgramGroups = (): string[] =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .filter((entry) => {
          try {
            const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            return groups.has(Number(fields[2])); // pgrp
          } catch {
            return false;
          }
        });
    // Killed grandchildren are reaped by init, a moment later.
    await waitFor(() => inProgramGroups().length === 0, 10_000, 'every grandchild to be gone');
    const survivors = inProgramGroups();
    expect(survivors).toEqual([]);
    expect(await cli.stop()).toBe(0);
  });
});
