// Raw TCP peers for the shared suites, over `node:net` (Node, Bun and Deno
// all provide it): a client that writes whatever bytes a test wants and keeps
// everything it reads, a server that misbehaves on purpose, and a small
// parser of server frames written here so the suites judge the adapters'
// bytes without the codec's own decoder.
import net from 'node:net';
import { within } from './fixture.js';

/** A raw TCP client: collects every byte, reports its end. */
export interface RawPeer {
  write(bytes: string | Uint8Array): void;
  /** Everything received so far. */
  received(): Uint8Array;
  /** Everything received so far, as latin1 text. */
  text(): string;
  /** Resolves when the socket closed (peer FIN or reset), with the ms since connect. */
  readonly closed: Promise<number>;
  /** Resolves with `text()` once `predicate(text())` holds; rejects after `ms`. */
  until(predicate: (text: string) => boolean, ms?: number, what?: string): Promise<string>;
  /** Stop reading (the kernel buffers fill, then the sender's). */
  pause(): void;
  resume(): void;
  /** Send a FIN; the socket closes once the server ends too. */
  end(): void;
  destroy(): void;
}

/** Connect a raw peer to 127.0.0.1:`port`. Register `destroy` as a cleanup. */
export function rawConnect(port: number): Promise<RawPeer> {
  const chunks: Uint8Array[] = [];
  const waiters = new Set<() => void>();
  const started = Date.now();
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.on('data', (chunk: Uint8Array) => {
    chunks.push(new Uint8Array(chunk));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      resolve(Date.now() - started);
      for (const wake of waiters) wake();
    }),
  );
  const received = (): Uint8Array => Buffer.concat(chunks);
  const text = (): string => Buffer.from(received()).toString('latin1');
  const peer: RawPeer = {
    write: (bytes) => void socket.write(bytes),
    received,
    text,
    closed,
    until: (predicate, ms = 5000, what = 'the raw peer condition') =>
      within(
        new Promise<string>((resolve) => {
          const check = (): void => {
            if (!predicate(text())) return;
            waiters.delete(check);
            resolve(text());
          };
          waiters.add(check);
          check();
        }),
        ms,
        what,
      ),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(peer));
    socket.once('error', reject);
  });
}

/** A TCP server on 127.0.0.1 that hands each socket to `onSocket`; `close()` destroys them all. */
export async function rawServer(onSocket: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A free port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = await rawServer(() => {});
  await server.close();
  return server.port;
}

/** A client upgrade request head (RFC 6455 §4.1), with extra header lines. */
export function upgradeRequest(path = '/', headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Send `head` (default: a valid upgrade request) and resolve with the response head. */
export async function rawResponse(port: number, head: string = upgradeRequest()): Promise<string> {
  const peer = await rawConnect(port);
  try {
    peer.write(head);
    const text = await peer.until((t) => t.includes('\r\n\r\n'), 5000, 'a response head');
    // A refusal may carry a body after its head: wait for Content-Length bytes.
    const headLength = text.indexOf('\r\n\r\n') + 4;
    const bodyLength = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headLength))?.[1] ?? 0);
    return await peer.until((t) => t.length >= headLength + bodyLength, 5000, 'the response body');
  } finally {
    peer.destroy();
  }
}

/** A masked client frame (RFC 6455 §5.2, §5.3) with mask key 1 2 3 4; payload ≤ 125 bytes. */
export function maskedFrame(opcode: number, payload: Uint8Array): Uint8Array {
  if (payload.length > 125) throw new Error('short frames only');
  const maskKey = [1, 2, 3, 4];
  const frame = new Uint8Array(6 + payload.length);
  frame.set([0x80 | opcode, 0x80 | payload.length, ...maskKey]);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ maskKey[i % 4]!;
  return frame;
}

/** A frame a server sent (unmasked, RFC 6455 §5.1). */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Uint8Array;
}

/**
 * Split the bytes after a 101 head into server frames (7, 16 and 64-bit
 * lengths, RFC 6455 §5.2); `rest` is an incomplete last frame.
 */
export function parseServerFrames(bytes: Uint8Array): { frames: ServerFrame[]; rest: number } {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const first = bytes[at]!;
    const second = bytes[at + 1]!;
    if ((second & 0x80) !== 0) throw new Error('a server frame must not be masked (RFC 6455 §5.1)');
    let length = second & 0x7f;
    let header = 2;
    if (length === 126) {
      if (at + 4 > bytes.length) break;
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      header = 4;
    } else if (length === 127) {
      if (at + 10 > bytes.length) break;
      length = Number(new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8).getBigUint64(0));
      header = 10;
    }
    if (at + header + length > bytes.length) break;
    frames.push({ fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload: bytes.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return { frames, rest: bytes.length - at };
}

/** The bytes a raw peer received after the response head. */
export function afterHead(peer: RawPeer): Uint8Array {
  const end = peer.text().indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no response head yet');
  return peer.received().subarray(end + 4);
}

/** The close code of a close frame's payload (RFC 6455 §5.5.1); 1005 when it has none. */
export function closeCodeOf(frame: ServerFrame): number {
  return frame.payload.length >= 2 ? (frame.payload[0]! << 8) | frame.payload[1]! : 1005;
}
