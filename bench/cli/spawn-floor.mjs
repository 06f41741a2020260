// The spawn floor of the connection-rate row: how fast this runtime alone
// can run per-connection `cat` with no WebSocket at all. 8 in flight; each
// spawns cat (own process group, piped stdio, as `framewire serve` does),
// writes a line, reads it back, closes stdin and waits for the exit.
//   node|bun spawn-floor.mjs COUNT   → prints "<spawns per second>"
//   deno run --allow-run --allow-env spawn-floor.mjs COUNT
// Node 20's child_process forks the whole parent (libuv 1.46: fork(), not
// vfork/posix_spawn on Linux; Node 24's libuv 1.52 too); Bun.spawn and Deno's
// node:child_process use vfork (strace: vfork, clone3(CLONE_VM|CLONE_VFORK)).
import { spawn } from 'node:child_process';

const total = Number(process.argv[2] ?? 300);
const CONCURRENCY = 8;
const bun = globalThis.Bun;

async function once() {
  if (bun !== undefined) {
    // detached (setsid), as serve spawns: it roughly halves Bun's rate (measured).
    const child = bun.spawn(['cat'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', detached: true });
    child.stdin.write('x\n');
    child.stdin.flush();
    await child.stdout.getReader().read();
    child.stdin.end();
    await child.exited;
    return;
  }
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.write('x\n');
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.stdin.end();
  await new Promise((resolve) => child.once('close', resolve));
}

let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < total) await once();
  }),
);
console.log(String(total / ((performance.now() - started) / 1000)));
