// The Deno.serve path (ServeUpgrader) gets the same API as the raw server:
// `accept({ data })` as typed `socket.data`, `request.params` from a path
// pattern, the peer's address from the handler's `info`.
import assert from 'node:assert/strict';
import { ServeUpgrader, accept, connect, isWebSocketRequest, reject, type RouteParams, type ServeSocket } from '../src/index.ts';

/** Compile-time check: `true` only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

Deno.test('Deno.serve: data, params and the peer address reach the hook and the connection', async () => {
  let calls = 0;
  const upgrader = new ServeUpgrader({
    path: ['/rooms/:id', '/files/*'],
    accept: async (request) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (request.query === 'deny') return reject(403);
      // Several patterns: params is the union of their shapes.
      const room = 'id' in request.params ? request.params.id : request.params['*'];
      return accept({ data: { room, from: request.remoteAddress } });
    },
  });
  const seen: Array<{ data: { room: string; from: string | undefined }; params: Record<string, string>; port: number | undefined }> = [];
  upgrader.on('connection', (socket, request) => {
    const typed: Equal<typeof socket, ServeSocket<{ room: string; from: string | undefined }>> = true;
    void typed;
    socket.on('error', () => {});
    seen.push({ data: socket.data, params: { ...request.params }, port: request.remotePort });
    socket.send('hi');
  });
  const abort = new AbortController();
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: abort.signal, onListen: () => {} }, (request, info) =>
    isWebSocketRequest(request) ? upgrader.upgrade(request, info) : new Response('plain'),
  );
  const url = `ws://127.0.0.1:${server.addr.port}`;
  try {
    const a = await connect(`${url}/rooms/r%201`);
    const b = await connect(`${url}/files/x/y`);
    for (const ws of [a, b]) await new Promise((resolve) => ws.once('message', resolve));
    assert.deepEqual(
      seen.map((s) => ({ ...s, port: typeof s.port === 'number' && s.port > 0 })),
      [
        { data: { room: 'r 1', from: '127.0.0.1' }, params: { id: 'r 1' }, port: true },
        { data: { room: 'x/y', from: '127.0.0.1' }, params: { '*': 'x/y' }, port: true },
      ],
    );
    await assert.rejects(connect(`${url}/other`), (error: { status?: number }) => error.status === 404);
    await assert.rejects(connect(`${url}/rooms/1?deny`), (error: { status?: number }) => error.status === 403);
    assert.equal(calls, 3, 'the hook ran once per upgrade and never for the 404');
    a.close();
    b.close();
    await Promise.all([a.closed, b.closed]);
  } finally {
    await upgrader.close({ timeout: 500 });
    abort.abort();
    await server.finished;
  }
});

Deno.test('RouteParams types the pattern names', () => {
  const ok: Equal<RouteParams<'/rooms/:id'>, Readonly<{ id: string }>> = true;
  const wild: Equal<RouteParams<'/files/*'>, Readonly<{ '*': string }>> = true;
  assert.ok(ok && wild);
});
