// Backpressure both ways on every adapter. Send side: send() returns false
// past highWaterMark, drained() waits for the peer, a peer that never reads
// is closed with 1008 past maxBufferedAmount after every queued message.
// Receive side: a message listener that returns a pending promise stops
// reading from the socket, so the sender's queue grows; nothing is lost and
// the order is kept once it settles.
import assert from 'node:assert/strict';
import { delay, nextConnection, scenario, until, within, type AdapterFixture } from './fixture.js';
import { afterHead, closeCodeOf, parseServerFrames, rawConnect, upgradeRequest } from './raw-tcp.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A binary message of `size` bytes that starts with its sequence number. */
function numbered(i: number, size: number): Uint8Array {
  const message = new Uint8Array(size);
  new DataView(message.buffer).setUint32(0, i);
  return message;
}

/** The sequence number of a {@link numbered} message. */
function numberOf(data: unknown): number {
  const bytes = data as Uint8Array;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

export function backpressureSuite(fixture: AdapterFixture): void {
  scenario(fixture, 'send side: send() returns false past highWaterMark, drained() waits while the peer holds its reads, then everything arrives in order', async (t) => {
    const highWaterMark = 256 * KiB;
    const size = 64 * KiB;
    const { server, url } = await t.listen({ highWaterMark });
    const connected = nextConnection(server);
    // The client holds its first message until the gate opens: it stops reading, TCP fills up.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const client = await t.connect(url, { perMessageDeflate: false, receiveHighWaterMessages: 1 });
    const got: number[] = [];
    client.on('message', (data) => {
      got.push(numberOf(data));
      return got.length === 1 ? gate : undefined;
    });
    const ws = await connected;
    let sent = 0;
    let refusals = 0;
    let maxBuffered = 0;
    let congested = false;
    let draining: Promise<void> | undefined;
    // Send until drained() no longer resolves within 300 ms: the kernel's buffers are
    // full and the session queues the rest. Bounded: at most 1,000 × 64 KiB.
    while (!congested && sent < 1000) {
      const ok = ws.send(numbered(sent++, size));
      maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
      if (ok) continue;
      refusals++;
      assert.ok(ws.bufferedAmount >= highWaterMark, `send() returned false at bufferedAmount ${ws.bufferedAmount}`);
      draining = ws.drained();
      congested = await Promise.race([draining.then(() => false), delay(300).then(() => true)]);
    }
    assert.ok(refusals > 0, 'send() returned false');
    assert.ok(congested, 'drained() waits while the client does not read');
    // Who stops at false never holds more than the mark plus one message.
    assert.ok(maxBuffered <= highWaterMark + size + 64, `bufferedAmount peaked at ${maxBuffered}`);
    open();
    await within(draining!, 10_000, 'drained() once the client reads again');
    assert.ok(ws.bufferedAmount < highWaterMark);
    for (let i = 0; i < 10; i++) ws.send(numbered(sent++, size));
    await until(() => got.length === sent, 20_000, 'every message');
    assert.deepEqual(got, Array.from({ length: sent }, (_, i) => i));
  });

  scenario(fixture, 'send side: a peer that never reads is closed with 1008 past maxBufferedAmount, after every queued message', async (t) => {
    const maxBufferedAmount = 4 * MiB;
    const { server, port } = await t.listen({ highWaterMark: 256 * KiB, maxBufferedAmount, heartbeat: false });
    const connected = nextConnection(server);
    const peer = await rawConnect(port);
    t.defer(() => peer.destroy());
    peer.write(upgradeRequest());
    await peer.until((text) => text.includes('\r\n\r\n'), 5000, 'the 101');
    peer.pause();
    const session = await connected;
    session.on('error', () => {});
    const payload = new Uint8Array(64 * KiB).fill(0x61);
    let sent = 0;
    let refused = false;
    let maxBuffered = 0;
    // Bounded: at most 2,000 × 64 KiB offered; the limit must stop it long before.
    for (let i = 0; i < 2000 && session.readyState === 1; i++) {
      if (!session.send(payload)) refused = true;
      sent++;
      maxBuffered = Math.max(maxBuffered, session.bufferedAmount);
      if (i % 16 === 0) await delay(0); // let the socket hand the kernel what it takes
    }
    assert.ok(refused, 'send() returned false before the limit');
    assert.ok(sent < 2000, `still open after ${sent} messages`);
    // Memory is bounded: the limit plus the one message that crossed it.
    assert.ok(maxBuffered > 256 * KiB && maxBuffered <= maxBufferedAmount + payload.length + 64, `bufferedAmount peaked at ${maxBuffered}`);
    assert.equal(session.readyState, 2, 'closing: the 1008 close frame is queued');
    assert.throws(() => session.send('more'), fixture.api.UsageError);
    // The reader wakes up: every queued message, then the close frame with 1008.
    peer.resume();
    const closeFrame = (): boolean => parseServerFrames(afterHead(peer)).frames.some((frame) => frame.opcode === 0x8);
    await peer.until(closeFrame, 20_000, 'the close frame');
    const { frames } = parseServerFrames(afterHead(peer));
    assert.equal(frames.filter((frame) => frame.opcode === 0x2).length, sent, 'nothing silently dropped');
    assert.equal(frames.at(-1)!.opcode, 0x8, 'the close frame comes last');
    assert.equal(closeCodeOf(frames.at(-1)!), 1008);
  });

  scenario(fixture, 'receive side: a listener that returns a pending promise pauses reading; nothing is lost, the order is kept', async (t) => {
    const { server, url } = await t.listen({ receiveHighWaterMessages: 4 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const got: number[] = [];
    server.on('connection', (ws) => {
      ws.on('message', (data) => {
        got.push(numberOf(data));
        return gate; // held until released: the session stops reading
      });
    });
    const client = await t.connect(url, { perMessageDeflate: false, maxBufferedAmount: 256 * MiB });
    const count = 400;
    for (let i = 0; i < count; i++) client.send(numbered(i, 64 * KiB));
    await delay(200);
    assert.ok(got.length < count / 4, `the server kept reading while held: ${got.length} of ${count}`);
    // The server stopped reading, so the kernel buffers filled and our client queued the rest.
    assert.ok(client.bufferedAmount > 1 * MiB, `client bufferedAmount ${client.bufferedAmount}`);
    release();
    await until(() => got.length === count, 20_000, 'every message');
    assert.deepEqual(got, Array.from({ length: count }, (_, i) => i));
    await within(client.drained(), 5000, 'the client drained');
  });
}
