// A few raw HTTP/2 frames, for header blocks Node's client refuses to send
// (it adds a missing :path itself). HPACK literals only, no Huffman: enough
// to send; replies are read as frame types and indexed :status values.
import { connect, type TLSSocket } from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

function literal(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length > 126) throw new Error('raw h2 helper: header too long');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A frame the server sent: type (1 HEADERS, 3 RST_STREAM, 7 GOAWAY...), stream and payload. */
export interface RawFrame {
  readonly type: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** The static-table :status of a HEADERS payload that starts with an indexed field (RFC 7541 App. A). */
export function indexedStatus(payload: Buffer): number | undefined {
  const statuses: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
  const first = payload[0] ?? 0;
  return (first & 0x80) !== 0 ? statuses[first & 0x7f] : undefined;
}

/**
 * Open TLS with ALPN h2 to 127.0.0.1:port, send the preface, an empty
 * SETTINGS and one HEADERS frame (stream 1, END_HEADERS) with `headers` as
 * given, and collect frames for stream 1 until a HEADERS or RST_STREAM
 * arrives, or the connection ends.
 */
export async function sendRawHeaders(port: number, ca: Buffer, headers: ReadonlyArray<readonly [string, string]>): Promise<RawFrame[]> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'], servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const block = Buffer.concat(headers.map(([name, value]) => Buffer.concat([Buffer.from([0]), literal(name), literal(value)])));
  socket.write(Buffer.concat([PREFACE, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 4, 1, block)]));
  const frames: RawFrame[] = [];
  let pending = Buffer.alloc(0);
  return new Promise((resolve) => {
    const finish = (): void => {
      socket.destroy();
      resolve(frames);
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const type = pending[3]!;
        const streamId = pending.readUInt32BE(5) & 0x7fffffff;
        frames.push({ type, streamId, payload: pending.subarray(9, 9 + length) });
        pending = pending.subarray(9 + length);
        if (type === 4 && (pending[4] ?? 0) === 0) socket.write(frame(4, 1, 0, Buffer.alloc(0))); // ack SETTINGS
        if (streamId === 1 && (type === 1 || type === 3)) finish();
        if (type === 7) finish();
      }
    });
    socket.on('error', finish);
    socket.on('close', finish);
    setTimeout(finish, 3000).unref();
  });
}
