// Unit tests of the harness's own wire code: the load generator's message
// counter and the floor server's echo must be right in any chunking, or
// every figure in the report is wrong. Run: node --test bench/test/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildFrameRing, buildMaskedFrame, MessageCounter, jsonLikeText } from '../lib/client-frames.mjs';
import { evaluateTargets } from '../lib/targets.mjs';
import { FloorEcho } from '../servers/floor-echo-core.mjs';

/** A server frame (unmasked) as RFC 6455 §5.2 lays it out. */
function serverFrame(fin, opcode, length) {
  const lenBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lenBytes + length, 0x61);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (lenBytes === 0) frame[1] = length;
  else if (lenBytes === 2) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  return frame;
}

/** Splits bytes at pseudo-random points (fixed seed). */
function chop(bytes, seed) {
  const pieces = [];
  let state = seed;
  for (let at = 0; at < bytes.length; ) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (state % 23);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

test('MessageCounter counts whole messages in any chunking, ignoring control frames', () => {
  const stream = Buffer.concat([
    serverFrame(true, 2, 16),
    serverFrame(false, 1, 200), // fragment: not a message yet
    serverFrame(true, 9, 3), // ping between fragments
    serverFrame(true, 0, 70000), // final continuation: one message
    serverFrame(true, 1, 0), // empty text message
    serverFrame(true, 2, 65536),
  ]);
  for (const seed of [1, 7, 99, 12345]) {
    const counter = new MessageCounter();
    let total = 0;
    for (const piece of chop(stream, seed)) total += counter.push(piece);
    assert.equal(total, 4, `seed ${seed}`);
    assert.equal(counter.payloadBytes, 16 + 200 + 70000 + 0 + 65536);
  }
  const whole = new MessageCounter();
  assert.equal(whole.push(stream), 4);
});

test('MessageCounter notices a close frame and RSV1', () => {
  const counter = new MessageCounter();
  const compressed = serverFrame(true, 1, 5);
  compressed[0] |= 0x40;
  assert.equal(counter.push(Buffer.concat([compressed, serverFrame(true, 8, 2)])), 1);
  assert.equal(counter.compressedSeen, true);
  assert.equal(counter.closeSeen, true);
});

test('FloorEcho answers the upgrade and echoes masked frames unmasked, in any chunking', () => {
  const request = Buffer.from(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const payloads = [Buffer.from('hello'), jsonLikeText(300), Buffer.alloc(70000, 5)];
  const frames = payloads.map((payload, i) => buildMaskedFrame(i === 2 ? 2 : 1, payload));
  for (const seed of [3, 42]) {
    const echo = new FloorEcho();
    const out = [];
    for (const piece of chop(Buffer.concat([request, ...frames]), seed)) {
      const reply = echo.receive(Buffer.from(piece));
      if (reply !== undefined) out.push(Buffer.from(reply));
    }
    const bytes = Buffer.concat(out);
    const head = bytes.indexOf('\r\n\r\n');
    // RFC 6455 §1.3 worked example of the accept key.
    assert.match(bytes.subarray(0, head).toString(), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    let at = head + 4;
    for (const [i, payload] of payloads.entries()) {
      assert.equal(bytes[at] & 0x0f, i === 2 ? 2 : 1);
      assert.equal(bytes[at + 1] & 0x80, 0, 'server frames are not masked');
      const len7 = bytes[at + 1] & 0x7f;
      const headerLength = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      assert.deepEqual(bytes.subarray(at + headerLength, at + headerLength + payload.length), payload);
      at += headerLength + payload.length;
    }
    assert.equal(at, bytes.length);
  }
});

test('buildFrameRing gives contiguous runs of frames from any start', () => {
  const payloads = [Buffer.from('a'), Buffer.from('bbb')];
  const { ring, offsets, count } = buildFrameRing(4, 1, payloads);
  assert.equal(count, 4);
  for (let start = 0; start < count; start++) {
    const counter = new MessageCounter();
    // Masked client frames: the counter's header walk still finds their ends.
    assert.equal(counter.push(ring.subarray(offsets[start], offsets[start + count])), count);
  }
});

test('codec targets: hooked rows replace their size in the Node-adapter target; the 64 KiB target reads the hooked row', () => {
  const row = (size, ratio, hooks) => ({ op: 'encode', size, peer: 'ws+bufferutil', masked: true, ratio, ...(hooks ? { hooks } : {}) });
  const results = {
    servers: [],
    echo: {},
    memory: {},
    codec: { status: 'ok', rows: [row(16, 1.2), row(65536, 0.5), row(65536, 1.05, true), row(1048576, 0.45), row(1048576, 0.98, true)] },
  };
  const targets = evaluateTargets(results);
  const everySize = targets.find((t) => t.label === 'encode masked vs ws + bufferutil, every size, with the Node adapter hooks');
  const at64k = targets.find((t) => t.label === 'encode masked 64 KiB vs ws + bufferutil, with the Node adapter hooks');
  // The pure 0.45 and 0.5 rows are replaced by their hooked twins: the worst is the hooked 1 MiB row.
  assert.equal(everySize.ratio, 0.98);
  assert.equal(everySize.where, 'worst at 1024 KiB');
  assert.equal(at64k.ratio, 1.05);
});
