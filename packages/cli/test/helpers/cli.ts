// Runs the real `framewire` bin as a child process (the way users run it),
// on 127.0.0.1 and a port picked by the system, and reads its port from the
// log line printed before READY.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bin users run. */
export const BIN = fileURLToPath(new URL('../../bin/framewire.mjs', import.meta.url));

/** A running framewire server command. */
export interface RunningCli {
  readonly process: ChildProcess;
  readonly port: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** SIGTERM, then wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<RunningCli>();

/** Start `framewire ARGS` (a server command) and wait for READY. */
export async function startCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunningCli> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY within 20 s:\n${stderr}`)), 20_000);
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (/^READY$/m.test(stderr)) {
        clearTimeout(timer);
        const match = /wss?:\/\/[^\s/]+:(\d+)\//.exec(stderr);
        if (match === null) reject(new Error(`READY without a port:\n${stderr}`));
        else resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`framewire exited with ${code} before READY:\n${stderr}`));
    });
  });
  const cli: RunningCli = {
    process: child,
    port,
    stderr: () => stderr,
    stop: async () => {
      running.delete(cli);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  running.add(cli);
  return cli;
}

/** Stop every server a test started (afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((cli) => cli.stop()));
}

/** Run `framewire ARGS` to completion with `input` on stdin (`null`: stdin stays open). */
export function runCli(
  args: readonly string[],
  input: string | null = '',
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`framewire ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // 'exit' can come before the pipes are read to the end.
      child.stdout.once('close', () => resolve({ code, stdout, stderr }));
      if (child.stdout.closed) resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (input !== null) child.stdin.end(input);
  });
}

/** The processes whose parent is `pid`, from /proc, with their state letter (Z: zombie). */
export function childrenOf(pid: number): Array<{ pid: number; state: string; command: string }> {
  const found: Array<{ pid: number; state: string; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === pid) found.push({ pid: Number(entry), state: state ?? '?', command: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return found;
}

/** The process name of the spawn helper (/proc comm: its first 15 characters). */
export const SPAWN_HELPER_COMM = 'framewire-spawn';

/**
 * The programs a `serve` at `pid` runs: its children, where the spawn
 * helper (when there is one) stands for its own children.
 */
export function programsOf(pid: number): Array<{ pid: number; state: string; command: string }> {
  return childrenOf(pid).flatMap((child) => (child.command === SPAWN_HELPER_COMM ? childrenOf(child.pid) : [child]));
}

/** Whether a process exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resident set size of a process in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** Poll `condition` every 25 ms until it holds or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
