// Floor echo on Deno.listen (see floor-echo-core.mjs).
// Usage: deno run --allow-net bench/servers/floor-deno.mjs --port N   (prints READY)
import { FloorEcho } from './floor-echo-core.mjs';

const port = Number(Deno.args[Deno.args.indexOf('--port') + 1]);

async function writeAll(conn, bytes) {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

async function serve(conn) {
  conn.setNoDelay(true);
  const echo = new FloorEcho();
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      const out = echo.receive(buffer.subarray(0, n));
      if (out !== undefined) await writeAll(conn, out);
      if (echo.closed) break;
    }
  } catch {
    // a reset peer ends the connection; nothing to report in a benchmark
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

const listener = Deno.listen({ hostname: '127.0.0.1', port });
console.log('READY');
Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
for await (const conn of listener) serve(conn);
