// Testing a client: the kit runs a server on 127.0.0.1 and launches the
// client command once per case with ws://127.0.0.1:PORT/case/<id> appended.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { Case, OpenOptions, RawConnection } from './case.js';
import { CaseEnd } from './case.js';
import { catalogue } from './cases/index.js';
import { openAsServer, readHead } from './open.js';
import { playCase } from './play.js';
import type { RunOptions, RunReport } from './result.js';
import { makeReport, mapLimit, matchesFilter } from './result.js';
import { fail } from './verdict.js';

/** Options for {@link runClientSuite}. */
export interface ClientRunOptions extends RunOptions {
  /** Shell command of the echo client; the case URL is appended as the last argument. */
  readonly clientCmd: string;
  /** Port of the kit's server (default: any free port). */
  readonly port?: number;
  /** Working directory for the client command. */
  readonly cwd?: string;
}

interface Slot {
  readonly connections: RawConnection[];
  waiter: (() => void) | null;
}

/** The cases that apply to clients, filtered. */
export function clientCases(opts: RunOptions = {}): Case[] {
  return (opts.cases ?? catalogue()).filter((c) => c.modes.includes('client') && matchesFilter(c.id, opts.filter));
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function stopProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // the whole group: shells and pnpm wrappers included
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Run the catalogue against a WebSocket client driver (an echo client).
 * @example
 * await runClientSuite({ clientCmd: 'node drivers/ws-echo-client.mjs', target: 'ws' });
 */
export async function runClientSuite(opts: ClientRunOptions): Promise<RunReport> {
  const cases = clientCases(opts);
  const slots = new Map<string, Slot>();
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void readHead(socket, performance.now() + 10_000).then((got) => {
      const id = got ? decodeURIComponent(/^\/case\/([^?]+)/.exec(got.head.target)?.[1] ?? '') : '';
      const slot = slots.get(id);
      if (!got || !slot) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      slot.connections.push({ socket, request: got.head, leftover: got.leftover });
      slot.waiter?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const started = new Date();
  try {
    const results = await mapLimit(cases, opts.concurrency ?? 4, async (c) => {
      const result = await playCase(c, 'client', opts.timeoutMs ?? 6000, opts.keepPassTraces ?? false, (trace, deadline) => {
        const slot: Slot = { connections: [], waiter: null };
        const used: Socket[] = [];
        slots.set(c.id, slot);
        const url = `ws://127.0.0.1:${port}/case/${encodeURIComponent(c.id)}`;
        const child = spawn(`${opts.clientCmd} ${quote(url)}`, { shell: true, detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd ?? process.cwd() });
        trace.add('*', `started client: ${opts.clientCmd} ${url}`);
        let output = '';
        const collect = (data: Buffer): void => {
          if (output.length < 4000) output += data.toString('utf8');
        };
        child.stdout?.on('data', collect);
        child.stderr?.on('data', collect);
        child.on('error', () => undefined);
        const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
        const raw = async (): Promise<RawConnection> => {
          while (slot.connections.length === 0) {
            const left = deadline - performance.now();
            if (left <= 0 || child.exitCode !== null) {
              // The client's own words explain a failure to start (a crash, a refused connection).
              if (output.trim() !== '') trace.add('*', `client output: ${output.trim().slice(-600)}`);
              throw new CaseEnd(fail(child.exitCode !== null ? `the client exited (${child.exitCode}) without connecting` : 'the client did not connect in time'));
            }
            await new Promise<void>((resolve) => {
              slot.waiter = resolve;
              setTimeout(resolve, Math.min(left, 50));
            });
          }
          const conn = slot.connections.shift() as RawConnection;
          used.push(conn.socket);
          trace.add('<', `client request: ${conn.request?.startLine ?? '(none)'}`);
          return conn;
        };
        return {
          parts: {
            raw,
            open: async (o: OpenOptions = {}) => openAsServer(await raw(), trace, o),
            clientExit: (ms: number) => Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]),
          },
          cleanup: async () => {
            slots.delete(c.id);
            stopProcess(child);
            await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 500))]);
            for (const conn of slot.connections) conn.socket.destroy();
            for (const socket of used) socket.destroy();
            const tail = output.trim().split('\n').slice(-5).join(' | ');
            if (tail) trace.add('*', `client output: ${tail.slice(0, 500)}`);
          },
        };
      });
      opts.onResult?.(result);
      return result;
    });
    return makeReport(opts.target ?? opts.clientCmd, 'client', opts.clientCmd, started, results, cases);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
