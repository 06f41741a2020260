// Shared helpers of the Bun adapter's tests (bun:test): cleanup, raw TCP
// clients, certificates, Node child processes for the ws / Chromium peers.
import { afterEach } from 'bun:test';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type ServerOptions, type Session } from '../src/index.js';

const cleanups: Array<() => unknown> = [];

/** Run `fn` after the current test (in reverse order of registration). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** Register the afterEach hook that runs the cleanups; call once per test file. */
export function useCleanup(): void {
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
}

/** `promise`, or a rejection after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A listening echo server (every message back with its type), closed after the test. */
export async function echoServer(options: ServerOptions = {}): Promise<{ server: WebSocketServer; port: number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => {});
  });
  const { port } = await server.listen();
  onCleanup(() => server.close({ timeout: 300 }));
  return { server, port };
}

/** The next session the server accepts. */
export function nextConnection(server: WebSocketServer): Promise<Session> {
  return new Promise((resolve) => server.once('connection', (session) => resolve(session)));
}

/** A raw TCP peer: collects every byte, reports its end. */
export interface RawPeer {
  write(bytes: string | Uint8Array): void;
  /** Everything received so far. */
  received(): Uint8Array;
  /** Received bytes as latin1 text. */
  text(): string;
  /** Resolves when the socket closed (peer FIN or reset), with the ms it took since connect. */
  readonly closed: Promise<number>;
  /** Resolves once `predicate(text())` holds. */
  until(predicate: (text: string) => boolean, ms?: number): Promise<string>;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
}

/** Connect a raw TCP peer to 127.0.0.1:`port`. */
export async function rawConnect(port: number, options: { tls?: boolean } = {}): Promise<RawPeer> {
  const chunks: Uint8Array[] = [];
  const started = performance.now();
  let resolveClosed!: (ms: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  const waiters = new Set<() => void>();
  // Bun's write may take only part of the bytes: keep the rest for 'drain'.
  const pending: Uint8Array[] = [];
  const flush = (s: { write(b: Uint8Array): number }): void => {
    while (pending.length > 0) {
      const head = pending[0]!;
      const n = s.write(head);
      if (n < 0) {
        pending.length = 0;
        return;
      }
      if (n < head.length) {
        pending[0] = head.subarray(n);
        return;
      }
      pending.shift();
    }
  };
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    ...(options.tls === true ? { tls: { rejectUnauthorized: false } } : {}),
    socket: {
      binaryType: 'uint8array',
      data: (_s, chunk: Uint8Array) => {
        chunks.push(chunk.slice());
        for (const w of waiters) w();
      },
      drain: (s) => flush(s),
      end: (s) => void s.end(),
      close: () => {
        resolveClosed(performance.now() - started);
        for (const w of waiters) w();
      },
      error: () => {},
      connectError: () => {},
    },
  });
  const received = (): Uint8Array => Buffer.concat(chunks);
  const text = (): string => Buffer.from(received()).toString('latin1');
  const peer: RawPeer = {
    write: (bytes) => {
      pending.push(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
      if (pending.length === 1) flush(socket);
    },
    received,
    text,
    closed,
    until: (predicate, ms = 5000) =>
      within(
        new Promise<string>((resolve) => {
          const check = (): void => {
            if (predicate(text())) {
              waiters.delete(check);
              resolve(text());
            }
          };
          waiters.add(check);
          check();
        }),
        ms,
        'raw peer condition',
      ),
    end: () => socket.shutdown(),
    destroy: () => socket.terminate(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
  onCleanup(() => socket.terminate());
  return peer;
}

/** A throw-away self-signed certificate for 127.0.0.1 / localhost. */
export interface TestCert {
  readonly key: string;
  readonly cert: string;
  readonly certPath: string;
  readonly keyPath: string;
  remove(): void;
}

/** A P-256 self-signed certificate valid for one day, made with the system's openssl. */
export function makeTestCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bun-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyPath, '-out', certPath,
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(keyPath, 'utf8'),
    cert: readFileSync(certPath, 'utf8'),
    certPath,
    keyPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A child process whose stdout lines we can wait for. */
export interface Child {
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, ms?: number): Promise<string>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or 128 + signal). */
  readonly exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

/** Spawn `command` with `args`; killed after the test if still running. */
export function startChild(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 9));
      for (const l of listeners) l();
    });
    child.on('error', () => resolve(127));
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    line: (pattern, ms = 15_000) =>
      within(
        new Promise<string>((resolve, reject) => {
          const check = (): void => {
            const found = out.split('\n').find((l) => pattern.test(l));
            if (found !== undefined) {
              listeners.delete(check);
              resolve(found);
            } else if (child.exitCode !== null || child.signalCode !== null) {
              listeners.delete(check);
              reject(new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`));
            }
          };
          listeners.add(check);
          check();
        }),
        ms,
        `${pattern} from ${command} ${args.join(' ')}\nstderr: ${err}`,
      ),
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}

/** The repository root. */
export const repoRoot = join(import.meta.dir, '..', '..', '..');
/** Node on PATH, for the ws and Chromium peers. */
export const nodeBinary = 'node';
