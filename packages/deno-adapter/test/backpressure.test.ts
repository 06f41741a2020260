// Backpressure end to end on the raw-TCP path: a slow reader makes send()
// return false, drained() waits, nothing is lost or reordered; a peer that
// never reads while the app keeps sending is failed with 1008.
import assert from 'node:assert/strict';
import { connect, released, type Session } from '../src/index.ts';
import { once, startServer, waitFor } from './helpers.ts';

Deno.test('slow reader: send() returns false, drained() resolves once it reads, every message arrives in order', async () => {
  const { server, url } = await startServer({ highWaterMark: 256 * 1024 });
  const connected = once<[Session]>(server, 'connection');
  // The client holds its first message until the gate opens: its transport pauses, TCP fills up.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const client = await connect(url, { perMessageDeflate: false, receiveHighWaterMessages: 1 });
  const got: number[] = [];
  client.on('message', (data) => {
    got.push(new DataView((data as Uint8Array).buffer, (data as Uint8Array).byteOffset).getUint32(0));
    return got.length === 1 ? gate : undefined;
  });
  const [ws] = await connected;
  const message = (i: number): Uint8Array => {
    const m = new Uint8Array(64 * 1024);
    new DataView(m.buffer).setUint32(0, i);
    return m;
  };
  let sent = 0;
  let refused = false;
  // Send until drained() no longer resolves within 300 ms: the kernel's buffers
  // are full and our queue holds the rest. Bounded: at most 1,000 × 64 KiB.
  let congested = false;
  let draining: Promise<void> | undefined;
  while (!congested && sent < 1000) {
    if (ws.send(message(sent++))) continue;
    refused = true;
    assert.ok(ws.bufferedAmount >= 256 * 1024, `bufferedAmount ${ws.bufferedAmount}`);
    draining = ws.drained();
    const timedOut = await Promise.race([draining.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 300))]);
    congested = timedOut;
  }
  assert.ok(refused, 'send() returned false');
  assert.ok(congested, 'drained() waits while the client does not read');
  open();
  await draining;
  assert.ok(ws.bufferedAmount < 256 * 1024);
  for (let i = 0; i < 10; i++) ws.send(message(sent++));
  await waitFor(() => got.length === sent, 20_000, 'every message');
  assert.deepEqual(got, Array.from({ length: sent }, (_, i) => i));
  client.close();
  await client.closed;
  await released(client);
  await server.close();
});

Deno.test('a peer that never reads while the app keeps sending is failed with 1008', async () => {
  const { server, url } = await startServer({ highWaterMark: 64 * 1024, maxBufferedAmount: 1024 * 1024, closeTimeout: 300 });
  const connected = once<[Session]>(server, 'connection');
  const client = await connect(url, { perMessageDeflate: false, receiveHighWaterMessages: 1 });
  client.on('error', () => {});
  client.on('message', () => new Promise(() => {})); // never consumed
  const [ws] = await connected;
  ws.on('error', () => {});
  let threw = false;
  for (let i = 0; i < 1000; i++) {
    try {
      ws.send(new Uint8Array(64 * 1024));
    } catch {
      threw = true; // closing: further sends throw FW_ERR_CLOSED
      break;
    }
  }
  assert.ok(threw, 'send() throws once the connection is failed');
  const info = await ws.closed;
  assert.equal(info.code === 1008 || info.code === 1006, true, `closed with ${info.code}`);
  client.terminate();
  await released(client);
  await server.close({ timeout: 500 });
});
