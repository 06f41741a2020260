// Messages through every adapter's server and client: text and binary with
// their types, permessage-deflate, large messages, ping/pong, close codes in
// both directions, maxPayload (1009), invalid UTF-8 (1007), async iteration.
import assert from 'node:assert/strict';
import { nextConnection, nextMessage, scenario, until, within, type AdapterFixture } from './fixture.js';
import { afterHead, closeCodeOf, maskedFrame, parseServerFrames, rawConnect, upgradeRequest } from './raw-tcp.js';

/** Bytes with a pattern that shows a lost, doubled or shifted chunk. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * seed + (i >> 12)) & 0xff;
  return bytes;
}

/** `actual` is a `Uint8Array` (a Node `Buffer` counts) holding exactly `expected`. */
function assertBytes(actual: unknown, expected: Uint8Array, what: string): void {
  assert.ok(actual instanceof Uint8Array, `${what}: a Uint8Array`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), `${what}: every byte as sent`);
}

export function messagesSuite(fixture: AdapterFixture): void {
  scenario(fixture, 'echoes text and binary with their types; the close code and reason reach both sides', async (t) => {
    const { server, url } = await t.echoServer();
    const seen = nextConnection(server);
    const ws = await t.connect(`${url}/any/path?x=1`, { perMessageDeflate: false });
    assert.equal(ws.extensions, '');
    ws.send('héllo ✓');
    assert.deepEqual(await nextMessage(ws), { data: 'héllo ✓', isBinary: false });
    const bytes = pattern(200_000, 7);
    ws.send(bytes);
    const binary = await nextMessage(ws);
    assert.equal(binary.isBinary, true);
    assertBytes(binary.data, bytes, 'binary echo');
    // A text message of bytes that are also valid binary keeps its type.
    ws.send(new TextEncoder().encode('bytes'), { binary: false });
    assert.deepEqual(await nextMessage(ws), { data: 'bytes', isBinary: false });
    ws.close(4000, 'bye');
    // The client's close info is the server's echo: our code, no reason (RFC 6455 §5.5.1).
    const echoed = await within(ws.closed, 5000, 'client closed');
    assert.deepEqual({ code: echoed.code, wasClean: echoed.wasClean }, { code: 4000, wasClean: true });
    assert.deepEqual(await within((await seen).closed, 5000, 'server side closed'), { code: 4000, reason: 'bye', wasClean: true });
  });

  scenario(fixture, 'a close the server starts reaches the client with its code and reason', async (t) => {
    const { server, url } = await t.listen();
    server.on('connection', (ws) => ws.close(4001, 'go away'));
    const ws = await t.connect(url);
    assert.deepEqual(await within(ws.closed, 5000, 'closed by the server'), { code: 4001, reason: 'go away', wasClean: true });
  });

  scenario(fixture, 'permessage-deflate is off by default and negotiated when enabled, both ways', async (t) => {
    const plain = await t.echoServer();
    const offered = await t.connect(plain.url, { perMessageDeflate: true });
    assert.equal(offered.extensions, '', 'a server without perMessageDeflate declines the offer');

    const deflating = await t.echoServer({ perMessageDeflate: true });
    const seen = nextConnection(deflating.server);
    const ws = await t.connect(deflating.url, { perMessageDeflate: true });
    assert.match(ws.extensions, /permessage-deflate/);
    assert.match((await seen).extensions, /permessage-deflate/);
    const text = 'compress me ✓ '.repeat(50_000);
    ws.send(text);
    assert.deepEqual(await nextMessage(ws), { data: text, isBinary: false });
    const bytes = pattern(300_000, 13);
    ws.send(bytes);
    const binary = await nextMessage(ws);
    assert.equal(binary.isBinary, true);
    assertBytes(binary.data, bytes, 'compressed binary echo');
    ws.send('small');
    assert.deepEqual(await nextMessage(ws), { data: 'small', isBinary: false });

    const declined = await t.connect(deflating.url, { perMessageDeflate: false });
    assert.equal(declined.extensions, '', 'nothing negotiated when the client does not offer it');
  });

  scenario(fixture, 'a 4 MiB binary message round-trips unchanged', async (t) => {
    const { url } = await t.echoServer({ maxPayload: 8 * 1024 * 1024 });
    const ws = await t.connect(url, { perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
    const payload = pattern(4 * 1024 * 1024, 7919);
    ws.send(payload.slice());
    const echoed = await within(new Promise<unknown>((resolve) => ws.once('message', resolve)), 20_000, 'the 4 MiB echo');
    assertBytes(echoed, payload, '4 MiB echo');
  });

  scenario(fixture, 'ping carries its payload; the pong echoes it (RFC 6455 §5.5.2, §5.5.3)', async (t) => {
    const { server, url } = await t.echoServer();
    const pinged = new Promise<Uint8Array>((resolve) => server.on('connection', (ws) => ws.on('ping', resolve)));
    const ws = await t.connect(url);
    const pong = new Promise<Uint8Array>((resolve) => ws.once('pong', resolve));
    ws.ping('are you there');
    assert.equal(new TextDecoder().decode(await within(pinged, 5000, 'the server saw the ping')), 'are you there');
    assert.equal(new TextDecoder().decode(await within(pong, 5000, 'the pong')), 'are you there');
  });

  scenario(fixture, 'a message over maxPayload closes with 1009 on both sides', async (t) => {
    const { server, url } = await t.echoServer({ maxPayload: 1000 });
    const seen = nextConnection(server);
    const ws = await t.connect(url, { perMessageDeflate: false });
    ws.on('error', () => {});
    ws.send('fits');
    assert.deepEqual(await nextMessage(ws), { data: 'fits', isBinary: false });
    ws.send(new Uint8Array(1001));
    assert.equal((await within(ws.closed, 5000, 'client closed')).code, 1009);
    assert.equal((await within((await seen).closed, 5000, 'server side closed')).code, 1009);
  });

  scenario(fixture, 'invalid UTF-8 in a text message closes with 1007', async (t) => {
    const { server, port } = await t.echoServer();
    const seen = nextConnection(server);
    const peer = await rawConnect(port);
    t.defer(() => peer.destroy());
    peer.write(upgradeRequest());
    await peer.until((text) => text.includes('\r\n\r\n'), 5000, 'the 101');
    const session = await seen;
    peer.write(maskedFrame(0x1, new Uint8Array([0x68, 0xc3, 0x28]))); // 'h', then a broken 2-byte sequence
    await peer.until(() => parseServerFrames(afterHead(peer)).frames.some((f) => f.opcode === 0x8), 5000, 'a close frame');
    const close = parseServerFrames(afterHead(peer)).frames.find((f) => f.opcode === 0x8)!;
    assert.equal(closeCodeOf(close), 1007);
    peer.destroy();
    assert.equal((await within(session.closed, 5000, 'server side closed')).code, 1007);
  });

  scenario(fixture, 'a session is async-iterable: messages in order, the loop ends at close', async (t) => {
    const { server, url } = await t.listen();
    let loopEnded = false;
    server.on('connection', async (ws) => {
      for await (const message of ws as AsyncIterable<unknown>) {
        ws.send(`echo:${String(message)}`);
        if (message === 'last') ws.close(1000);
      }
      loopEnded = true;
    });
    const ws = await t.connect(url);
    const got: string[] = [];
    ws.on('message', (data) => void got.push(String(data)));
    ws.send('a');
    ws.send('b');
    ws.send('last');
    assert.equal((await within(ws.closed, 5000, 'closed')).code, 1000);
    await until(() => got.length >= 3, 1000, 'three echoes');
    assert.deepEqual(got, ['echo:a', 'echo:b', 'echo:last']);
    await until(() => loopEnded, 5000, 'the for await loop ends once the session closed');
  });
}
