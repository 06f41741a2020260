// Large messages as streams (issue 23, item 6): with `streamMessagesAbove`
// a message past the threshold reaches the `messageStream` listener as a
// ReadableStream while its frames arrive; smaller ones stay on `message`.
// A reader that does not read pauses the socket; cancelling closes 1008;
// UTF-8 (1007) and limits (1009) hold; per-route limits on one port.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { delay, nextConnection, runUploadClient, nextMessage, scenario, until, within, type AdapterFixture, type Scope, type SessionLike } from './fixture.js';

const MiB = 1024 * 1024;

let block: Uint8Array | undefined;

/**
 * Piece `index` of a generated upload: one pseudo-random block, stamped
 * with the index at both ends, so every piece differs and order matters;
 * made when sent, never the whole message at once.
 */
export function uploadPiece(index: number, size: number): Uint8Array {
  if (block === undefined || block.length < size) {
    block = new Uint8Array(Math.max(size, MiB));
    let x = 0x9e3779b1;
    for (let i = 0; i < block.length; i++) {
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
      block[i] = x & 0xff;
    }
  }
  const piece = block.slice(0, size);
  const view = new DataView(piece.buffer);
  if (size >= 8) {
    view.setUint32(0, index);
    view.setUint32(size - 4, index);
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

/** Starts upload-server.mjs in its own process; resolves with its port once it prints READY. */
async function startUploadServer(t: Scope, command: { command: string; args: string[] }): Promise<number> {
  const child = spawn(command.command, command.args, { stdio: ['pipe', 'pipe', 'inherit'] });
  t.defer(() => {
    child.stdin?.end();
    child.kill('SIGKILL');
  });
  let out = '';
  return within(
    new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Uint8Array) => {
        out += new TextDecoder().decode(chunk);
        const port = /READY (\d+)/.exec(out)?.[1];
        if (port !== undefined) resolve(Number(port));
      });
      child.on('exit', (code) => reject(new Error(`upload server exited (${code}): ${out}`)));
    }),
    20_000,
    'the upload server',
  );
}

/**
 * One 128 MiB upload before the measured one, so the baseline is a running
 * server's (JIT, hashing, read buffers, and the young generation the
 * runtime sizes for this traffic: 16 MiB on Node 20, more on Node 24 and
 * Deno), and the growth measured is what the 1 GiB adds on top of it.
 */
async function warmUp(t: Scope, port: number): Promise<void> {
  const warm = await t.connect(`ws://127.0.0.1:${port}/upload`);
  warm.on('error', () => {});
  const warmed = nextMessage(warm);
  await sendUpload(warm, 128, MiB);
  await warmed;
  warm.close();
  await warm.closed;
}

export function streamingSuite(fixture: AdapterFixture): void {
  const upload = fixture.upload;
  if (upload !== undefined) {
    scenario(fixture, `a ${upload.mib} MiB upload to /upload is read as a stream in bounded memory (RSS growth < 64 MiB); /chat on the same port refuses over 1 MiB with 1009`, async (t) => {
      let port: number;
      let rssBase = 0;
      let rssPeak = 0;
      let sampler: ReturnType<typeof setInterval> | undefined;
      if (upload.command !== undefined) {
        port = await startUploadServer(t, upload.command);
        // The child re-takes its baseline after each upload it answers.
        await warmUp(t, port);
      } else {
        // In-process (no way to start this runtime as a child here): the growth counts the client too.
        if (fixture.listenShared === undefined || upload.rss === undefined) throw new Error('an in-process upload needs listenShared and rss');
        const shared = await fixture.listenShared([['/upload'], ['/chat']], [{ streamMessagesAbove: MiB, maxPayload: 2048 * MiB }, { maxPayload: MiB }]);
        t.defer(() => shared.close());
        port = shared.port;
        const rss = upload.rss;
        shared.servers[0]!.on('connection', (ws) => {
          ws.on('error', () => {});
          ws.on('messageStream', async (body) => {
            const { bytes, sha256 } = await consume(body);
            ws.send(JSON.stringify({ bytes, sha256, rssBase, rssPeak }));
          });
        });
        shared.servers[1]!.on('connection', (ws) => ws.on('error', () => {}));
        await warmUp(t, port);
        rssBase = rss();
        rssPeak = rssBase;
        sampler = setInterval(() => void (rssPeak = Math.max(rssPeak, rss())), 20);
        t.defer(() => clearInterval(sampler));
      }
      let sha256: string;
      let text: string;
      if (upload.command !== undefined) {
        const client = await t.connect(`ws://127.0.0.1:${port}/upload`);
        client.on('error', () => {});
        const answer = within(
          new Promise<{ data: unknown }>((resolve) => client.once('message', (data) => resolve({ data }))),
          180_000,
          'the upload answer',
        );
        sha256 = await sendUpload(client, upload.mib, MiB);
        text = String((await answer).data);
      } else {
        ({ sha256, answer: text } = await runUploadClient(fixture, `ws://127.0.0.1:${port}/upload`, upload.mib));
      }
      const report = JSON.parse(text) as { bytes: number; sha256: string; rssBase: number; rssPeak: number };
      clearInterval(sampler);
      assert.equal(report.bytes, upload.mib * MiB);
      assert.equal(report.sha256, sha256);
      const growth = report.rssPeak - report.rssBase;
      assert.ok(report.rssBase > 0 && growth < 64 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
      const chat = await t.connect(`ws://127.0.0.1:${port}/chat`);
      chat.on('error', () => {});
      chat.send(new Uint8Array(MiB + 1));
      assert.equal((await within(chat.closed, 5000, 'the close')).code, 1009);
    });
  }

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
