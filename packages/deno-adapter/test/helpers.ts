// Shared helpers of the Deno adapter's tests (run with `deno test`, see package.json).
import { fileURLToPath } from 'node:url';
import { WebSocketServer, released, type ServerOptions, type Session } from '../src/index.ts';

/** Repository root and this package, as paths. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const packageDir = fileURLToPath(new URL('../', import.meta.url));
export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A listening raw-TCP server on 127.0.0.1 with a random port, and its ws:// URL. */
export async function startServer(options: ServerOptions = {}): Promise<{ server: WebSocketServer; url: string; port: number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  const { port } = await server.listen();
  return { server, url: `${options.tls !== undefined ? 'wss' : 'ws'}://127.0.0.1:${port}`, port };
}

/** Echo every message with its type on every connection of `server`. */
export function echo(server: WebSocketServer): void {
  server.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (ws.readyState === 1) ws.send(data, { binary: isBinary });
    });
  });
}

/** Close a session (if open) and wait until its socket is released. */
export async function closeSession(session: Session): Promise<void> {
  if (session.readyState === 1) session.close(1000);
  await session.closed;
  await released(session);
}

/** The next `event` of an emitter-like object. */
export function once<T extends unknown[]>(target: object, event: string): Promise<T> {
  const emitter = target as { once(event: string, fn: (...args: T) => void): unknown };
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

/** Resolve after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `check` until true (every 10 ms, up to `timeoutMs`). */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** A raw TCP client: write bytes, read everything until EOF (or a byte count). */
export class RawClient {
  readonly #conn: Deno.TcpConn;
  #received: Uint8Array[] = [];
  #eof = false;
  readonly done: Promise<void>;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.done = this.#read();
  }

  static async open(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: '127.0.0.1', port }));
  }

  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  /** Everything received so far. */
  get bytes(): Uint8Array {
    const total = this.#received.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.#received) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  get text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  get ended(): boolean {
    return this.#eof;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // closed already
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#received.push(buffer.slice(0, n));
      }
    } catch {
      // reset or closed by us
    }
    this.#eof = true;
  }
}

/** A valid client upgrade request for `path`. */
export function upgradeRequest(path = '/', extra: Record<string, string> = {}): string {
  const headers = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** A masked client frame (RFC 6455 §5.2), payload < 126 bytes. */
export function clientFrame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  if (payload.length > 125) throw new Error('short frames only');
  const mask = [1, 2, 3, 4];
  const out = new Uint8Array(6 + payload.length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = 0x80 | payload.length;
  out.set(mask, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i]! ^ mask[i % 4]!;
  return out;
}

/** Run a Node script (a fixture) with arguments; resolves with its exit code and output. */
export async function runNode(script: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command('node', { args: [script, ...args], cwd: repoRoot, stdout: 'piped', stderr: 'piped' });
  const child = command.spawn();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const output = await child.output();
  clearTimeout(timer);
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout), stderr: new TextDecoder().decode(output.stderr) };
}

/** A Node child that prints a line (e.g. `PORT 1234`, `READY`) before serving; stopped with `stop()`. */
export async function spawnNodeServer(
  script: string,
  args: string[],
  readyPattern: RegExp,
): Promise<{ match: RegExpMatchArray; output: () => string; stop: () => Promise<string> }> {
  const child = new Deno.Command('node', { args: [script, ...args], cwd: repoRoot, stdout: 'piped', stderr: 'inherit' }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = '';
  let match: RegExpMatchArray | null = null;
  const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
  while (match === null) {
    const { value, done } = await reader.read();
    if (done) {
      clearTimeout(deadline);
      await child.status;
      throw new Error(`${script} exited before printing ${readyPattern}: ${seen}`);
    }
    seen += value;
    match = seen.match(readyPattern);
  }
  clearTimeout(deadline);
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
  })();
  return {
    match,
    output: () => seen,
    stop: async () => {
      try {
        child.kill('SIGTERM');
      } catch {
        // exited already
      }
      await child.status;
      await rest;
      return seen;
    },
  };
}
