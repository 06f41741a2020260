// Large messages as streams (issue 23, item 6): with `streamMessagesAbove`
// a message past the threshold reaches the `messageStream` listener as a
// ReadableStream while its frames arrive; smaller ones stay on `message`.
// A reader that does not read pauses the socket; cancelling closes 1008;
// UTF-8 (1007) and limits (1009) hold; per-route limits on one port.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { delay, nextConnection, nextMessage, scenario, until, within, type AdapterFixture, type SessionLike } from './fixture.js';

const MiB = 1024 * 1024;

/** Piece `index` of a generated upload: different bytes per piece, never the whole message at once. */
export function uploadPiece(index: number, size: number): Uint8Array {
  const piece = new Uint8Array(size);
  let x = (index + 1) * 0x9e3779b1;
  for (let i = 0; i < size; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    piece[i] = x & 0xff;
    piece[i + 1] = (x >>> 8) & 0xff;
    piece[i + 2] = (x >>> 16) & 0xff;
    piece[i + 3] = x >>> 24;
  }
  return piece;
}

/** Sends `pieces` pieces of `size` bytes as one fragmented binary message, waiting for the socket to drain; returns the SHA-256. */
export async function sendUpload(client: SessionLike, pieces: number, size: number): Promise<string> {
  const hash = createHash('sha256');
  for (let i = 0; i < pieces; i++) {
    const piece = uploadPiece(i, size);
    hash.update(piece);
    if (!client.send(piece, { binary: true, fin: i === pieces - 1 })) await client.drained();
  }
  return hash.digest('hex');
}

/** Reads a body to its end: byte count and SHA-256. */
async function consume(body: ReadableStream<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    hash.update(value);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Answers every streamed message with `stream:<binary>:<bytes>:<sha256>` and every whole one with `whole:<length>`. */
function streamReporter(ws: SessionLike): void {
  ws.on('error', () => {});
  ws.on('message', (data) => void ws.send(`whole:${(data as string | Uint8Array).length}`));
  ws.on('messageStream', async (body, isBinary) => {
    const { bytes, sha256 } = await consume(body);
    if (ws.readyState === 1) ws.send(`stream:${isBinary}:${bytes}:${sha256}`);
  });
}

export function streamingSuite(fixture: AdapterFixture): void {
  scenario(fixture, 'streamMessagesAbove: a big message arrives as a stream, fragmented or in one frame; small ones stay on message', async (t) => {
    const { server, url } = await t.listen({ streamMessagesAbove: 64 * 1024, maxPayload: 64 * MiB });
    server.on('connection', streamReporter);
    const client = await t.connect(url);
    client.on('error', () => {});
    client.send('hi');
    assert.deepEqual((await nextMessage(client)).data, 'whole:2');
    // Fragmented: 6 x 1 MiB, the message switches to a stream once past the threshold.
    const sent = nextMessage(client);
    const sha256 = await sendUpload(client, 6, MiB);
    assert.equal((await sent).data, `stream:true:${6 * MiB}:${sha256}`);
    // Text in one frame, with multi-byte characters across piece boundaries.
    const text = 'héllo wörld ✓ '.repeat(20_000);
    const bytes = new TextEncoder().encode(text);
    client.send(text);
    assert.equal((await nextMessage(client)).data, `stream:false:${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`);
    // Exactly at the threshold is not above it.
    client.send(new Uint8Array(64 * 1024));
    assert.equal((await nextMessage(client)).data, `whole:${64 * 1024}`);
  });

  scenario(fixture, 'a reader that does not read pauses the socket: the sender cannot drain until it reads', async (t) => {
    const { server, url } = await t.listen({ streamMessagesAbove: 1024, maxPayload: 256 * MiB });
    let body: ReadableStream<Uint8Array> | undefined;
    server.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('messageStream', (b) => void (body = b));
    });
    const client = await t.connect(url, { maxBufferedAmount: 128 * MiB, highWaterMark: MiB });
    client.on('error', () => {});
    const total = 48 * MiB;
    for (let i = 0; i < 48; i++) client.send(uploadPiece(i, MiB), { binary: true, fin: i === 47 });
    await until(() => body !== undefined, 5000, 'the messageStream event');
    await delay(500);
    // The server holds ~1 MiB in the body plus socket buffers: most of the message is still with the sender.
    assert.ok(client.bufferedAmount > 16 * MiB, `sender still holds ${client.bufferedAmount} bytes`);
    const read = await within(consume(body!), 30_000, 'reading the body');
    assert.equal(read.bytes, total);
    await within(client.drained(), 5000, 'the sender drains once the reader reads');
  });

  scenario(fixture, 'cancelling the body closes the connection with 1008; no messageStream listener closes with 1009', async (t) => {
    const { server, url } = await t.listen({ streamMessagesAbove: 1024, maxPayload: 64 * MiB });
    let first = true;
    server.on('connection', (ws) => {
      ws.on('error', () => {});
      if (first) ws.on('messageStream', (body) => void body.cancel('not wanted'));
      first = false;
    });
    const client = await t.connect(url);
    client.on('error', () => {});
    client.send(new Uint8Array(256 * 1024));
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1008);
    const other = await t.connect(url);
    other.on('error', () => {});
    other.send(new Uint8Array(4096));
    assert.equal((await within(other.closed, 5000, 'the close')).code, 1009);
  });

  scenario(fixture, 'streamed text that is not UTF-8 fails with 1007 and errors the body', async (t) => {
    const { server, url } = await t.listen({ streamMessagesAbove: 1024, maxPayload: 64 * MiB });
    const ws = nextConnection(server);
    const client = await t.connect(url);
    client.on('error', () => {});
    const session = await ws;
    session.on('error', () => {});
    const outcome = new Promise<unknown>((resolve) => session.on('messageStream', (body) => void consume(body).then(resolve, resolve)));
    const bad = new TextEncoder().encode('é'.repeat(4096));
    bad[5000] = 0xff;
    client.send(bad, { binary: false });
    assert.equal((await within(client.closed, 5000, 'the close')).code, 1007);
    assert.ok((await within(outcome, 5000, 'the body settles')) instanceof Error, 'the body errored');
  });

  scenario(fixture, 'one port, two routes: /upload streams up to 2 GiB, /chat keeps 1 MiB and refuses more with 1009', async (t) => {
    if (fixture.listenShared === undefined) throw new Error(`the ${fixture.runtime} fixture has no listenShared`);
    const shared = await fixture.listenShared(
      [['/upload'], ['/chat']],
      [{ streamMessagesAbove: MiB, maxPayload: 2 * 1024 * MiB }, { maxPayload: MiB }],
    );
    t.defer(() => shared.close());
    const [upload, chat] = shared.servers;
    upload!.on('connection', streamReporter);
    chat!.on('connection', streamReporter);
    const uploader = await t.connect(`ws://127.0.0.1:${shared.port}/upload`);
    uploader.on('error', () => {});
    const answer = nextMessage(uploader);
    const sha256 = await sendUpload(uploader, 24, MiB);
    assert.equal((await answer).data, `stream:true:${24 * MiB}:${sha256}`);
    const chatter = await t.connect(`ws://127.0.0.1:${shared.port}/chat`);
    chatter.on('error', () => {});
    chatter.send('small');
    assert.equal((await nextMessage(chatter)).data, 'whole:5');
    chatter.send(new Uint8Array(2 * MiB));
    assert.equal((await within(chatter.closed, 5000, 'the close')).code, 1009);
    assert.equal(uploader.readyState, 1);
  });
}
