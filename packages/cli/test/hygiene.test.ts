// Process hygiene of `framewire serve`: after many connect/disconnect
// cycles no program is left, as a child (zombie or not) or as an orphan.
// CI runs 200 cycles; FW_CLI_CYCLES=1000 (or more) by hand.
import { connect } from '@framewire/node-adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, processAlive, programsOf, SPAWN_HELPER_COMM, startCli, stopAll, waitFor } from './helpers/cli.js';

afterEach(stopAll);

const CYCLES = Math.max(1, Number(process.env.FW_CLI_CYCLES ?? 200));
const PARALLEL = 10;

// Per-connection programs start through the spawn helper by default on Node, with child_process when told.
describe.each([
  ['the spawn helper', []],
  ['node:child_process (--no-spawn-helper)', ['--no-spawn-helper']],
])('process hygiene, programs started by %s', (_, spawnFlags: string[]) => {
  it(`${CYCLES} connect/disconnect cycles leave no child, zombie or orphan`, async () => {
    // Each program reports its pid, then forks a grandchild (sleep) that would be orphaned if only sh were killed.
    const cli = await startCli(['serve', '--port', '0', '--quiet', ...spawnFlags, '--close-grace', '0.1', '--kill-grace', '0.2', '--', 'sh', '-c', 'echo $$; sleep 60 & cat']);
    const helpers = childrenOf(cli.process.pid!).filter((child) => child.command === SPAWN_HELPER_COMM);
    expect(helpers).toHaveLength(spawnFlags.length === 0 ? 1 : 0);
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
    await waitFor(() => programsOf(server).length === 0, 20_000, `the server's programs to be reaped: ${JSON.stringify(programsOf(server).slice(0, 5))}`);
    // Not reparented elsewhere either: every program pid is gone.
    await waitFor(() => pids.every((pid) => !processAlive(pid)), 10_000, 'every program to be gone');
    expect(programsOf(server)).toEqual([]);
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

describe('the spawn helper goes away', () => {
  it('the server is SIGKILLed: the helper stops every program (SIGTERM) and exits; nothing is orphaned', async () => {
    const cli = await startCli(['serve', '--port', '0', '--quiet', '--', 'sh', '-c', 'echo $$; exec sleep 60']);
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const session = await connect(`ws://127.0.0.1:${cli.port}/`, { perMessageDeflate: false });
      pids.push(Number((await session[Symbol.asyncIterator]().next()).value));
    }
    const [helper] = childrenOf(cli.process.pid!).filter((child) => child.command === SPAWN_HELPER_COMM);
    expect(helper).toBeDefined();
    expect(pids.every(processAlive)).toBe(true);
    cli.process.kill('SIGKILL');
    await waitFor(() => pids.every((pid) => !processAlive(pid)), 10_000, 'every program to be stopped');
    await waitFor(() => !processAlive(helper!.pid), 10_000, 'the helper to exit');
  });

  it('the helper is SIGKILLed: its programs are killed, their clients get 1011, new clients still get a program', async () => {
    const cli = await startCli(['serve', '--port', '0', '--', 'sh', '-c', 'echo $$; exec cat']);
    const session = await connect(`ws://127.0.0.1:${cli.port}/`, { perMessageDeflate: false });
    const messages = session[Symbol.asyncIterator]();
    const pid = Number((await messages.next()).value);
    const [helper] = childrenOf(cli.process.pid!).filter((child) => child.command === SPAWN_HELPER_COMM);
    process.kill(helper!.pid, 'SIGKILL');
    expect((await session.closed).code).toBe(1011);
    await waitFor(() => !processAlive(pid), 10_000, 'the orphaned program to be killed');
    expect(cli.stderr()).toMatch(/spawn helper exited \(SIGKILL\); spawning with node:child_process from now on/);
    // The next client's program comes from child_process, a direct child of the server.
    const next = await connect(`ws://127.0.0.1:${cli.port}/`, { perMessageDeflate: false });
    const nextPid = Number((await next[Symbol.asyncIterator]().next()).value);
    expect(childrenOf(cli.process.pid!).map((child) => child.pid)).toContain(nextPid);
    next.send('still here');
    expect((await next[Symbol.asyncIterator]().next()).value).toBe('still here');
    next.close(1000);
    await next.closed;
    expect(await cli.stop()).toBe(0);
  });
});
