// Type tests: `session.data` takes the accept hook's data type and
// `request.params` the `path` pattern's names (checked by `tsc` over test/,
// the runtime part only builds the values).
import { describe, expectTypeOf, it } from 'vitest';
import { WebSocketServer, accept, allOf, reject, allowOrigins, type RouteParams, type ServerRequest, type Session } from '../src/index.js';

describe('WebSocketServer<Data, Path> types', () => {
  it('session.data is what accept({ data }) carries; request.params follows the pattern', async () => {
    const server = new WebSocketServer({
      path: '/rooms/:room/users/:user',
      accept: async (request) => {
        expectTypeOf(request.params).toEqualTypeOf<RouteParams<'/rooms/:room/users/:user'>>();
        expectTypeOf(request.params.room).toBeString();
        expectTypeOf(request.remoteAddress).toEqualTypeOf<string | undefined>();
        expectTypeOf(request.remotePort).toEqualTypeOf<number | undefined>();
        if (request.params.user === 'nobody') return reject(403);
        return accept({ data: { user: request.params.user, joined: 1 } });
      },
    });
    server.on('connection', (session, request) => {
      expectTypeOf(session).toEqualTypeOf<Session<{ user: string; joined: number }>>();
      expectTypeOf(session.data.user).toBeString();
      expectTypeOf(request.params).toEqualTypeOf<Readonly<{ room: string } & { user: string }>>();
      // @ts-expect-error the pattern names no `id`
      void request.params.id;
    });
    for (const session of server.clients) expectTypeOf(session.data.joined).toBeNumber();
    await server.close();
  });

  it("'messageStream' hands a typed byte stream; the deflate counters are numbers", async () => {
    const server = new WebSocketServer({ streamMessagesAbove: 1024 });
    server.on('connection', (session) => {
      session.on('messageStream', async (body, isBinary) => {
        expectTypeOf(isBinary).toBeBoolean();
        for await (const piece of body) expectTypeOf(piece).toEqualTypeOf<Uint8Array>();
        // It is the runtime's ReadableStream: cast for the full web-streams API.
        expectTypeOf(body as unknown as ReadableStream<Uint8Array>).toHaveProperty('pipeTo');
      });
    });
    expectTypeOf(server.metrics().deflate.outCompressed).toBeNumber();
    await server.close();
  });

  it('without a pattern, params is a string record; a hook without data leaves data undefined', async () => {
    const server = new WebSocketServer({ accept: allowOrigins(['https://app.example']) });
    server.on('connection', (session, request) => {
      expectTypeOf(session.data).toBeUndefined();
      expectTypeOf(request).toMatchTypeOf<ServerRequest>();
      expectTypeOf(request.params).toEqualTypeOf<Readonly<Record<string, string>>>();
    });
    await server.close();
  });

  it('RouteParams reads names and the trailing wildcard', () => {
    expectTypeOf<RouteParams<'/files/*'>>().toEqualTypeOf<Readonly<{ '*': string }>>();
    expectTypeOf<RouteParams<'/a/:x/*'>>().toMatchTypeOf<{ x: string; '*': string }>();
    expectTypeOf<RouteParams<'/plain'>>().toEqualTypeOf<Readonly<unknown>>();
    expectTypeOf<RouteParams<string>>().toEqualTypeOf<Readonly<Record<string, string>>>();
  });

  it('allOf keeps the data of the hook that attaches it; no hook at all gives unknown', async () => {
    const server = new WebSocketServer({
      accept: allOf(allowOrigins(['https://app.example']), async () => accept({ data: { user: 'ann' } })),
    });
    server.on('connection', (session) => expectTypeOf(session.data).toEqualTypeOf<{ user: string } | undefined>());
    const plain = new WebSocketServer();
    plain.on('connection', (session) => expectTypeOf(session.data).toBeUnknown());
    await Promise.all([server.close(), plain.close()]);
  });

  it('an explicit Data type checks what the hook attaches', async () => {
    const server = new WebSocketServer<{ user: string }>({
      // @ts-expect-error `user` must be a string
      accept: () => accept({ data: { user: 1 } }),
    });
    await server.close();
  });
});
