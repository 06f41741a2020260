// Test helpers: a ws echo server in-process on 127.0.0.1.
import { WebSocketServer, type ServerOptions } from 'ws';

/** Start a ws echo server; returns its URL and a close function. */
export async function startWsEcho(options: ServerOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024, ...options });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** ws's documented deviations: validated UTF-8 only at message end, 400 for bad versions, lenient on HTTP/1.0 and Host, a fragment-count limit, 400 for any invalid deflate offer. */
export const WS_KNOWN_NON_STRICT: readonly RegExp[] = [
  /^utf8\.invalid\.[a-z0-9-]+\.(per-byte|cut\.\d+)$/,
  /^handshake\.version\.(12|14|0|abc|missing)$/,
  /^handshake\.reject\.(http-1\.0|host-missing)$/,
  /^framing\.message-64k\.frames-1$/,
  /^deflate\.offer-fallback$/,
];
