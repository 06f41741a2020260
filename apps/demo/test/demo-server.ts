// Starts `pnpm start --runtime R` (scripts/start.mjs) on a free port on
// 127.0.0.1 for a test and stops it with SIGTERM, the way a user does.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A demo server started for a test. */
export interface DemoProcess {
  /** The page's URL. */
  readonly url: string;
  /** Everything it printed so far. */
  readonly output: () => string;
  /** SIGTERM, then its exit code (or the signal that killed it). */
  readonly stop: () => Promise<number | string>;
  /** The pid of `scripts/start.mjs`. */
  readonly pid: number;
}

/**
 * Start the demo on `runtime` (with `args` after `--runtime R`, e.g. `--cluster 2`);
 * rejects with its output when it does not print READY within `timeout` ms.
 */
export function startDemo(runtime: 'node' | 'bun' | 'deno', timeout = 30_000, args: readonly string[] = []): Promise<DemoProcess> {
  const child: ChildProcess = spawn(process.execPath, ['scripts/start.mjs', '--runtime', runtime, ...args], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${runtime} demo printed no READY in ${timeout} ms:\n${output}`));
    }, timeout);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
      if (url === undefined || !/^READY$/m.test(output)) return;
      clearTimeout(timer);
      resolve({
        url,
        output: () => output,
        pid: child.pid ?? 0,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the ${runtime} demo exited (${code}) before READY:\n${output}`));
    });
  });
}
