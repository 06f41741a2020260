import { createSecureServer, connect as http2Connect, type ClientHttp2Session, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerOptions } from '../../src/index.js';
import type { TestCert } from './certs.js';

/** An h2 + http/1.1 TLS server on 127.0.0.1 with an echoing framewire server attached. */
export interface Http2Echo {
  readonly port: number;
  readonly http2: Http2SecureServer;
  readonly wss: WebSocketServer;
  close(): Promise<void>;
}

/** Start an echo server over HTTP/2 (RFC 8441) and HTTP/1.1 on one port. */
export async function startHttp2Echo(
  cert: TestCert,
  options: Omit<ServerOptions, 'server'> = {},
  /** Which connections echo (default every one); the others are the test's. */
  echoes: (path: string) => boolean = () => true,
): Promise<Http2Echo> {
  const http2 = createSecureServer(
    // 128 MB per h2 connection (Node's default is 10): the catalogue echoes 16 MiB messages.
    { key: cert.key, cert: cert.cert, allowHTTP1: true, settings: { enableConnectProtocol: true }, maxSessionMemory: 128 },
    (_request, response) => response.end('plain https'),
  );
  const wss = new WebSocketServer({ perMessageDeflate: true, ...options, server: http2 });
  wss.on('connection', (ws, request) => {
    if (echoes(request.path)) ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => http2.listen(0, '127.0.0.1', resolve));
  const { port } = http2.address() as AddressInfo;
  return {
    port,
    http2,
    wss,
    close: async () => {
      await wss.close({ timeout: 300 });
      http2.close();
      // Sessions left open by a test must not hold the server.
      await new Promise<void>((resolve) => {
        http2.close(() => resolve());
        setTimeout(resolve, 500).unref();
      });
    },
  };
}

/** A raw HTTP/2 client session to the echo server, ready once the server's SETTINGS arrived. */
export async function h2Session(port: number, cert: TestCert): Promise<ClientHttp2Session> {
  const session = http2Connect(`https://127.0.0.1:${port}`, { ca: cert.cert, maxSessionMemory: 128 });
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}
