/**
 * {@link ProgramChild} over `node:child_process` (Node, and Deno's Node
 * layer).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { signalProcessGroup, writableDrained, type ProgramChild, type ProgramExit, type ProgramSpec } from './program-child.js';

/** Spawn with `node:child_process`: own process group (`detached`), piped stdio, no shell. */
export function spawnNodeChild(spec: ProgramSpec, env: Record<string, string>, cwd?: string): ProgramChild {
  const child = spawn(spec.command, [...spec.args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: SIGTERM/SIGKILL reach what it forked, and a
    // Ctrl-C on the server's terminal is the server's to handle.
    detached: true,
    ...(cwd !== undefined ? { cwd } : {}),
  });
  const { stdin, stdout, stderr } = child;
  // A program that exits without reading makes our writes fail with EPIPE: not an error here.
  stdin.on('error', () => {});
  let spawnFailed: (exit: ProgramExit) => void = () => {};
  // spawn failed (vanished executable, EAGAIN): 'exit' and 'close' may never come.
  const failed = new Promise<ProgramExit>((resolve) => (spawnFailed = resolve));
  child.once('error', () => spawnFailed({ code: 127, signal: null }));
  const exit = Promise.race([
    failed,
    new Promise<ProgramExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  ]);
  const closed = Promise.race([
    failed,
    new Promise<ProgramExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))),
  ]);
  return {
    pid: child.pid,
    write: (data) => (stdin.writableEnded || stdin.destroyed ? true : stdin.write(data)),
    drained: () => writableDrained(stdin),
    endInput: () => {
      if (!stdin.writableEnded) stdin.end();
    },
    get inputEnded() {
      return stdin.writableEnded;
    },
    readOutput: (onData, onEnd) => {
      stdout.on('data', onData);
      stdout.on('end', onEnd);
    },
    pauseOutput: () => stdout.pause(),
    resumeOutput: () => stdout.resume(),
    readErrors: (onData, onEnd) => {
      stderr.on('data', onData);
      stderr.on('end', onEnd);
    },
    // Also after the leader exited: what it left in its group must go too.
    signalGroup: (signal) => signalProcessGroup(child.pid, signal),
    exit,
    closed,
  };
}
