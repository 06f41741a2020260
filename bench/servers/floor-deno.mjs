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
  // A read holds its buffer while the connection idles, so idle connections
  // read into 4 KiB; a read that fills its buffer switches to 64 KiB until a
  // read comes back short. (conn.readable would pin 64 KiB per connection.)
  const small = new Uint8Array(4096);
  let large;
  let buffer = small;
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      const out = echo.receive(buffer.subarray(0, n));
      if (out !== undefined) await writeAll(conn, out);
      if (echo.closed) break;
      if (n === buffer.length) buffer = large ??= new Uint8Array(64 * 1024);
      else if (n < small.length) buffer = small;
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
