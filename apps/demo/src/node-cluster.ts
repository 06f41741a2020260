/**
 * The `node:cluster` primary behind `pnpm start --cluster N` on Node: forks
 * N workers that share the listening port (the primary accepts and hands
 * connections round-robin), prints the URL and `READY` once all N listen,
 * forwards SIGINT/SIGTERM to them and waits for their graceful stop (1001
 * to every WebSocket) before it exits.
 *
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import process from 'node:process';
import { MAX_PROCESSES, listenAddressFromEnv, pageUrl } from './entry.js';

/** How long the workers get to start listening. */
const START_MS = 60_000;
/** How long the workers get to stop after the signal before they are killed. */
const STOP_MS = 10_000;

/** Read `--cluster N` as the launcher passed it: 1..{@link MAX_PROCESSES}. */
export function clusterSize(text: string): number {
  const size = Number(text);
  if (!/^\d{1,2}$/.test(text) || size < 1 || size > MAX_PROCESSES) throw new RangeError(`--cluster takes 1-${MAX_PROCESSES} processes, got ${JSON.stringify(text)}`);
  return size;
}

function fail(message: string): never {
  console.error(`could not start the demo: ${message}`);
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
  process.exit(1);
}

/** Run the primary until SIGINT/SIGTERM; `sizeText` is `FW_DEMO_CLUSTER`. */
export async function runPrimary(sizeText: string): Promise<void> {
  let size: number;
  let address: { host: string; port: number };
  try {
    size = clusterSize(sizeText);
    address = listenAddressFromEnv(process.env);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if ((process.env['FW_DEMO_REDIS'] ?? '') === '') fail('a cluster needs FW_DEMO_REDIS (scripts/start.mjs sets it)');

  const workers: Worker[] = [];
  let stopping = false;
  let started = false;
  let port = address.port;
  // Every worker listening (the port) and done starting (its ready line printed).
  const listening = new Promise<void>((resolve) => {
    let bound = 0;
    let ready = 0;
    cluster.on('listening', (_worker, address) => {
      port = address.port;
      if (++bound === size && ready === size) resolve();
    });
    cluster.on('message', (_worker, message: unknown) => {
      if ((message as { type?: unknown } | null)?.type === 'framewire-demo-ready' && ++ready === size && bound === size) resolve();
    });
  });
  const exited = new Map<Worker, number>();
  const allExited = new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      exited.set(worker, code ?? (signal === null ? 1 : 128));
      if (!started && !stopping) fail(`process ${workers.indexOf(worker) + 1} exited (${code ?? signal}) before listening`);
      if (!stopping) console.error(`process ${workers.indexOf(worker) + 1} (pid ${worker.process.pid}) exited (${code ?? signal})`);
      if (exited.size === size) resolve();
    });
  });
  for (let index = 1; index <= size; index++) {
    workers.push(cluster.fork({ FW_DEMO_WORKER: String(index), FW_DEMO_PROCESSES: String(size) }));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    listening,
    new Promise<never>(() => {
      timer = setTimeout(() => fail(`not all ${size} processes listened within ${START_MS / 1000} s`), START_MS);
    }),
  ]);
  clearTimeout(timer);
  started = true;

  const url = pageUrl(address.host, port);
  const ws = url.replace(/^http/, 'ws');
  console.log(`framewire demo on node ${process.versions.node}, ${size} processes (node:cluster): ${url}  (chat ${ws}chat, echo ${ws}echo)`);
  console.log('Ctrl-C to stop');
  console.log('READY');

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ${size} processes...`);
    for (const worker of workers) if (!exited.has(worker)) worker.process.kill(signal);
    const late = setTimeout(() => {
      for (const worker of workers) if (!exited.has(worker)) worker.process.kill('SIGKILL');
    }, STOP_MS);
    await allExited;
    clearTimeout(late);
    const clean = [...exited.values()].every((code) => code === 0);
    console.log(clean ? 'all processes closed' : 'some processes did not stop cleanly');
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  void allExited.then(() => {
    if (!stopping) fail('every process exited');
  });
}
