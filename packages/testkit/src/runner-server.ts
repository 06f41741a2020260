// Testing a server: the kit is the client, one fresh TCP connection per case.
import { connect, type Socket } from 'node:net';
import type { Case, OpenOptions, RawConnection } from './case.js';
import { CaseEnd } from './case.js';
import { catalogue } from './cases/index.js';
import { openAsClient } from './open.js';
import { playCase } from './play.js';
import type { RunOptions, RunReport } from './result.js';
import { makeReport, mapLimit, matchesFilter } from './result.js';
import type { Trace } from './trace.js';
import { fail } from './verdict.js';

/** Options for {@link runServerSuite}. */
export interface ServerRunOptions extends RunOptions {
  /** ws:// URL of the server under test. */
  readonly url: string;
}

function connectTo(url: URL, trace: Trace, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CaseEnd(fail('TCP connect timed out')));
    }, Math.max(0, deadline - performance.now()));
    socket.once('connect', () => {
      clearTimeout(timer);
      trace.add('*', 'TCP connected');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new CaseEnd(fail(`TCP connect failed: ${err.message}`)));
    });
  });
}

/** The cases that apply to servers, filtered. */
export function serverCases(opts: RunOptions = {}): Case[] {
  return (opts.cases ?? catalogue()).filter((c) => c.modes.includes('server') && matchesFilter(c.id, opts.filter));
}

/**
 * Run the catalogue against a WebSocket server.
 * @example
 * const report = await runServerSuite({ url: 'ws://127.0.0.1:9001/', target: 'ws' });
 */
export async function runServerSuite(opts: ServerRunOptions): Promise<RunReport> {
  const url = new URL(opts.url);
  if (url.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported, got ${opts.url}`);
  const cases = serverCases(opts);
  const started = new Date();
  const results = await mapLimit(cases, opts.concurrency ?? 4, async (c) => {
    const result = await playCase(c, 'server', opts.timeoutMs ?? 4000, opts.keepPassTraces ?? false, (trace, deadline) => {
      const sockets: Socket[] = [];
      const raw = async (): Promise<RawConnection> => {
        const socket = await connectTo(url, trace, deadline);
        sockets.push(socket);
        return { socket, request: null, leftover: Buffer.alloc(0) };
      };
      return {
        parts: {
          raw,
          open: async (o: OpenOptions = {}) => openAsClient((await raw()).socket, url, trace, deadline, o),
          clientExit: () => Promise.resolve(null),
        },
        cleanup: () => {
          for (const s of sockets) s.destroy();
        },
      };
    });
    opts.onResult?.(result);
    return result;
  });
  return makeReport(opts.target ?? url.host, 'server', opts.url, started, results, cases);
}
