// Floor echo on Bun.listen (see floor-echo-core.mjs). Bun's socket.write may
// take only part of the bytes; the rest waits for drain.
// Usage: bun bench/servers/floor-bun.mjs --port N   (prints READY)
import { FloorEcho } from './floor-echo-core.mjs';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);

function flush(socket) {
  const state = socket.data;
  while (state.pending.length > 0) {
    const next = state.pending[0];
    const written = socket.write(next);
    if (written < next.length) {
      state.pending[0] = next.subarray(Math.max(written, 0));
      return;
    }
    state.pending.shift();
  }
  if (state.echo.closed) socket.end();
}

Bun.listen({
  hostname: '127.0.0.1',
  port,
  socket: {
    open(socket) {
      socket.data = { echo: new FloorEcho(), pending: [] };
    },
    data(socket, chunk) {
      const state = socket.data;
      const out = state.echo.receive(chunk);
      // Bun may reuse `chunk` after this callback; `out` is always a fresh buffer.
      if (out !== undefined) state.pending.push(out);
      if (state.pending.length === 1 || (out === undefined && state.echo.closed)) flush(socket);
    },
    drain(socket) {
      flush(socket);
    },
    error(socket) {
      socket.end();
    },
  },
});
console.log('READY');
process.on('SIGTERM', () => process.exit(0));
