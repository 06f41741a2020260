// The attacker's side of a connection: plain node:net sockets on loopback,
// the kit's own request builder and head reader, and writes that notice when
// the server stops reading. No WebSocket library, so nothing here is lenient
// on the server's behalf.
import { connect, type Socket } from 'node:net';
import { acceptFor, buildRequest, header, newKey } from '../http.js';
import { readHead } from '../open.js';

/** Every stress socket stays on loopback, on both ends. */
export const LOOPBACK = '127.0.0.1';

/** Resolve after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Port of a ws:// URL (80 when absent). */
export function portOf(url: URL): number {
  return url.port === '' ? 80 : Number(url.port);
}

/** Open a TCP connection to the server; rejects on error or after `timeoutMs`. */
export function tcpConnect(url: URL, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port: portOf(url), localAddress: LOOPBACK });
    const timer = setTimeout(() => fail(new Error(`no TCP connection within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      // Errors after connect are reported by whoever owns the socket; never let one crash the kit.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/** The request head of a normal client handshake, as bytes. */
export function requestBytes(url: URL, key: string, offer?: string): Buffer {
  const text = buildRequest({ host: url.host, path: `${url.pathname}${url.search}`, key, ...(offer !== undefined ? { extensions: offer } : {}) });
  return Buffer.from(text, 'latin1');
}

/** An upgraded connection: the socket (paused), bytes read after the 101 head, the accepted extensions. */
export interface RawUpgrade {
  readonly socket: Socket;
  readonly leftover: Buffer;
  readonly extensions: string | undefined;
}

/**
 * Connect and do the opening handshake with raw bytes. Rejects unless the
 * answer is a 101 with the right accept key. The socket is left paused, so a
 * flood can keep it unread.
 */
export async function upgradeRaw(url: URL, timeoutMs: number, offer?: string): Promise<RawUpgrade> {
  const deadline = performance.now() + timeoutMs;
  const socket = await tcpConnect(url, timeoutMs);
  const key = newKey();
  socket.write(requestBytes(url, key, offer));
  const got = await readHead(socket, deadline);
  if (!got) {
    socket.destroy();
    throw new Error('no handshake response');
  }
  if (got.head.status !== 101 || header(got.head, 'sec-websocket-accept') !== acceptFor(key)) {
    socket.destroy();
    throw new Error(`handshake refused: ${got.head.startLine}`);
  }
  return { socket, leftover: got.leftover, extensions: header(got.head, 'sec-websocket-extensions') };
}

/** How a bounded write ended. */
export type WriteEnd = 'written' | 'stalled' | 'closed' | 'aborted';

/**
 * Write `bytes` and wait until the socket takes more. 'stalled' when no
 * drain came within `stallMs`: the server stopped reading, which is
 * backpressure, not a failure of the write.
 */
export function writeBounded(socket: Socket, bytes: Uint8Array, stallMs: number, signal?: AbortSignal): Promise<WriteEnd> {
  if (signal?.aborted) return Promise.resolve('aborted');
  if (socket.destroyed || !socket.writable) return Promise.resolve('closed');
  if (socket.write(bytes)) return Promise.resolve('written');
  return new Promise((resolve) => {
    const timer = setTimeout(() => end('stalled'), stallMs);
    const onDrain = (): void => end('written');
    const onClose = (): void => end('closed');
    const onAbort = (): void => end('aborted');
    function end(how: WriteEnd): void {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      socket.off('error', onClose);
      signal?.removeEventListener('abort', onAbort);
      resolve(how);
    }
    socket.once('drain', onDrain);
    socket.once('close', onClose);
    socket.once('error', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run `task(i)` for i in [0, count) with at most `concurrency` in flight,
 * stopping early (tasks not yet started are not started) when `signal` aborts.
 * Resolves with how many tasks ran.
 */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>, signal?: AbortSignal): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !signal?.aborted) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return next;
}

/** Resolves when the socket is closed (by either side), or with false after `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve(false);
    }, ms);
    function onClose(): void {
      clearTimeout(timer);
      resolve(true);
    }
    socket.once('close', onClose);
  });
}
