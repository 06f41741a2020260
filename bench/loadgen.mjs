// The load generator: one separate Node process, the same for every server.
// It speaks raw RFC 6455 over node:net, builds its masked frames once, and
// only counts response frames, so the server under test stays the limit.
//
// Driven by the runner over IPC (see lib/loadgen-driver.mjs):
//   { cmd: 'echo', id, spec }   connect, warm up, emit 'ready', wait for
//   { cmd: 'go', id }           measure, emit 'done' with counts, disconnect
//   { cmd: 'idle', id, spec }   open spec.connections idle connections, emit 'ready'
//   { cmd: 'release', id }      drop them, emit 'done'
//   { cmd: 'probe', id, spec }  one message, check the echo (and compression), emit 'done'
//   { cmd: 'subscribe', id, spec } open spec.connections counting connections (fan-out), emit 'ready'
//   { cmd: 'count', id, spec }  emit 'done' once the 'subscribe' set spec.of received spec.target
//                               more messages (or spec.timeoutMs passed, complete: false)
// Run by hand for a quick look:
//   node bench/loadgen.mjs --port 9001 [--connections 1] [--in-flight 64] [--size 16] [--seconds 2] [--deflate]
import { connect } from 'node:net';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import {
  buildFrameRing,
  buildMaskedFrame,
  buildUpgradeRequest,
  checkUpgradeResponse,
  deflateMessage,
  jsonLikeText,
  MessageCounter,
} from './lib/client-frames.mjs';

const HOST = '127.0.0.1';
const HANDSHAKE_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 10_000;
/** Handshakes in flight at once: stays under every server's listen backlog. */
const CONNECT_CONCURRENCY = 200;

/** One client connection: handshake, then counts messages. */
class ClientConnection {
  /** @param {{ port: number, deflate: boolean }} opts */
  constructor({ port, deflate }) {
    this.port = port;
    this.deflate = deflate;
    this.counter = new MessageCounter();
    this.outstanding = 0;
    /** @type {(count: number) => void} */
    this.onMessages = () => {};
    /** @type {((chunk: Buffer) => void) | undefined} raw tap used by probes */
    this.onRaw = undefined;
    this.extensions = '';
    this.socket = undefined;
  }

  /** Connects and completes the upgrade (RFC 6455 §4.1). */
  open() {
    return new Promise((resolve, reject) => {
      const { request, expectedAccept } = buildUpgradeRequest({ host: HOST, port: this.port, deflate: this.deflate });
      const socket = connect({ host: HOST, port: this.port, noDelay: true });
      this.socket = socket;
      let head = '';
      let upgraded = false;
      const timer = setTimeout(() => fail(new Error('handshake timed out')), HANDSHAKE_TIMEOUT_MS);
      const fail = (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.on('connect', () => socket.write(request));
      socket.on('error', (error) => (upgraded ? undefined : fail(error)));
      socket.on('close', () => (upgraded ? undefined : fail(new Error('closed during handshake'))));
      socket.on('data', (chunk) => {
        if (upgraded) {
          if (this.onRaw !== undefined) this.onRaw(chunk);
          else {
            const done = this.counter.push(chunk);
            if (done > 0) this.onMessages(done);
          }
          return;
        }
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const verdict = checkUpgradeResponse(head.slice(0, end), expectedAccept);
        if (!verdict.ok) return fail(new Error(`handshake refused: ${verdict.reason}`));
        upgraded = true;
        clearTimeout(timer);
        this.extensions = verdict.extensions;
        const restAt = end + 4 - (head.length - chunk.length);
        if (restAt < chunk.length) {
          const done = this.counter.push(chunk.subarray(restAt));
          if (done > 0) this.onMessages(done);
        }
        resolve(this);
      });
    });
  }

  /** Drops the connection with a reset, so no TIME_WAIT piles up on loopback. */
  drop() {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }
}

/** Opens `count` connections, at most CONNECT_CONCURRENCY handshakes at once. */
async function openConnections(count, port, deflate) {
  const connections = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const connection = new ClientConnection({ port, deflate });
      connections.push(connection);
      await connection.open();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, worker));
  } catch (error) {
    for (const connection of connections) connection.drop();
    throw error;
  }
  return connections;
}

/** Distinct messages per ring: enough that compression cannot just repeat the last one. */
const TEXT_VARIANTS = 16;

/** The payload of one case: JSON-like text (variant n) or a fixed binary pattern. */
function casePayload(spec, variant = 0) {
  if (spec.opcode === 1) return jsonLikeText(spec.size, variant);
  const payload = Buffer.allocUnsafe(spec.size);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  return payload;
}

/**
 * Keeps `inFlight` messages outstanding on every connection until the time
 * or the message budget runs out, then waits for the replies still owed.
 * Bounded: duration, message budget and drain timeout all stop it.
 */
function pump(connections, { frames, inFlight, durationMs, maxMessages }) {
  return new Promise((resolve) => {
    const { ring, offsets, count } = frames;
    let cursor = 0;
    let sent = 0;
    let received = 0;
    let stopping = false;
    let finished = false;
    let drainTimer;
    const started = performance.now();
    const finish = (complete) => {
      if (finished) return;
      finished = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      for (const connection of connections) connection.onMessages = () => {};
      resolve({ sent, received, elapsedMs: performance.now() - started, complete });
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      if (received === sent) finish(true);
      else drainTimer = setTimeout(() => finish(false), DRAIN_TIMEOUT_MS);
    };
    const refill = (connection) => {
      let want = inFlight - connection.outstanding;
      if (want > maxMessages - sent) want = maxMessages - sent;
      if (want <= 0) {
        if (sent >= maxMessages) stop();
        return;
      }
      connection.outstanding += want;
      sent += want;
      // want ≤ inFlight ≤ ring count, so the run is contiguous in the doubled ring.
      connection.socket.write(ring.subarray(offsets[cursor], offsets[cursor + want]));
      cursor = (cursor + want) % count;
    };
    for (const connection of connections) {
      connection.outstanding = 0;
      connection.onMessages = (count) => {
        connection.outstanding -= count;
        received += count;
        if (!stopping) refill(connection);
        else if (received >= sent) finish(true);
      };
    }
    const stopTimer = setTimeout(stop, durationMs);
    for (const connection of connections) refill(connection);
  });
}

/** The echo measurement: connect, warm up, ready, go, measure, done. */
async function runEcho(id, spec, waitForGo, emit) {
  const variants = spec.opcode === 1 ? TEXT_VARIANTS : 1;
  const bodies = [];
  for (let v = 0; v < variants; v++) {
    const payload = casePayload(spec, v);
    bodies.push(spec.deflate ? deflateMessage(payload) : payload);
  }
  const frames = buildFrameRing(Math.max(spec.inFlight, variants), spec.opcode, bodies, spec.deflate);
  const connections = await openConnections(spec.connections, spec.port, spec.deflate);
  try {
    const extensions = connections[0]?.extensions ?? '';
    if (spec.deflate && !/permessage-deflate/i.test(extensions)) {
      emit({ ev: 'done', id, result: { error: 'permessage-deflate not negotiated', extensions } });
      return;
    }
    const load = { frames, inFlight: spec.inFlight, maxMessages: spec.maxMessages };
    const warm = await pump(connections, { ...load, durationMs: spec.warmupMs });
    if (!warm.complete) throw new Error('server stopped answering during warm-up');
    emit({ ev: 'ready', id, info: { extensions } });
    await waitForGo;
    const cpuBefore = process.cpuUsage();
    const bytesBefore = connections.reduce((sum, connection) => sum + connection.counter.payloadBytes, 0);
    const measured = await pump(connections, { ...load, durationMs: spec.durationMs });
    const cpu = process.cpuUsage(cpuBefore);
    const loadgenCpuMs = (cpu.user + cpu.system) / 1000;
    const compressed = connections.some((connection) => connection.counter.compressedSeen);
    const payloadBytes = connections.reduce((sum, connection) => sum + connection.counter.payloadBytes, 0) - bytesBefore;
    emit({ ev: 'done', id, result: { ...measured, loadgenCpuMs, extensions, compressed, payloadBytes } });
  } finally {
    for (const connection of connections) connection.drop();
  }
}

/**
 * Sends one message and checks the echo byte for byte; with deflate, checks
 * that the reply came compressed (RSV1) and inflates to the same text.
 */
async function runProbe(spec) {
  const [connection] = await openConnections(1, spec.port, spec.deflate);
  try {
    const payload = casePayload(spec);
    // Compress only what the server agreed to (RFC 7692 §6): RSV1 unannounced is a protocol error.
    const deflate = spec.deflate && connection.extensions.includes('permessage-deflate');
    const body = deflate ? deflateMessage(payload) : payload;
    const reply = await new Promise((resolve, reject) => {
      let bytes = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
      connection.onRaw = (chunk) => {
        bytes = Buffer.concat([bytes, chunk]);
        const frame = parseOneFrame(bytes);
        if (frame !== undefined) {
          clearTimeout(timer);
          resolve(frame);
        }
      };
      connection.socket.write(buildMaskedFrame(spec.opcode, body, deflate));
    });
    let data = reply.payload;
    // RFC 7692 §7.2.2: append the 4 bytes the sender dropped, inflate without expecting an end.
    const tail = Buffer.from([0, 0, 0xff, 0xff]);
    if (reply.rsv1) data = inflateRawSync(Buffer.concat([data, tail]), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const ok = reply.fin && reply.opcode === spec.opcode && Buffer.compare(data, payload) === 0;
    return { ok, compressed: reply.rsv1, extensions: connection.extensions, reason: ok ? '' : 'echo differs' };
  } finally {
    connection.drop();
  }
}

/** Whole first frame of a server reply, or undefined if more bytes are needed. */
function parseOneFrame(bytes) {
  if (bytes.length < 2) return undefined;
  const len7 = bytes[1] & 0x7f;
  let at = 2;
  let length = len7;
  if (len7 === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (len7 === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  if (bytes.length < at + length) return undefined;
  return {
    fin: (bytes[0] & 0x80) !== 0,
    rsv1: (bytes[0] & 0x40) !== 0,
    opcode: bytes[0] & 0x0f,
    payload: bytes.subarray(at, at + length),
  };
}

/** IPC mode: serve the runner's commands until told to exit. */
function serveRunner() {
  const send = (message) => process.send?.(message);
  const goWaiters = new Map();
  const idleSets = new Map();
  /** Fan-out subscriber sets: their connections and how many messages they received in all. */
  const countSets = new Map();
  const waitFor = (id) => new Promise((resolve) => goWaiters.set(id, resolve));
  const fail = (id, error) => send({ ev: 'error', id, message: String(error?.message ?? error) });
  process.on('message', (message) => {
    const { cmd, id, spec } = message;
    if (cmd === 'echo') runEcho(id, spec, waitFor(id), send).catch((error) => fail(id, error));
    else if (cmd === 'go') goWaiters.get(id)?.(undefined);
    else if (cmd === 'probe') {
      runProbe(spec).then(
        (result) => send({ ev: 'done', id, result }),
        (error) => fail(id, error),
      );
    } else if (cmd === 'idle') {
      openConnections(spec.connections, spec.port, false).then(
        (connections) => {
          idleSets.set(id, connections);
          send({ ev: 'ready', id, info: { connections: connections.length } });
        },
        (error) => fail(id, error),
      );
    } else if (cmd === 'subscribe') {
      openConnections(spec.connections, spec.port, spec.deflate === true).then(
        (connections) => {
          const set = { connections, received: 0, onCount: () => {} };
          for (const connection of connections) {
            connection.onMessages = (count) => {
              set.received += count;
              set.onCount();
            };
          }
          idleSets.set(id, connections);
          countSets.set(id, set);
          send({ ev: 'ready', id, info: { connections: connections.length } });
        },
        (error) => fail(id, error),
      );
    } else if (cmd === 'count') {
      const set = countSets.get(spec.of);
      if (set === undefined) return fail(id, new Error(`no subscriber set ${spec.of}`));
      const goal = set.received + spec.target;
      const started = performance.now();
      const finish = (complete) => {
        clearTimeout(timer);
        set.onCount = () => {};
        send({ ev: 'done', id, result: { received: spec.target - (goal - set.received), elapsedMs: performance.now() - started, complete } });
      };
      const timer = setTimeout(() => finish(false), spec.timeoutMs);
      set.onCount = () => {
        if (set.received >= goal) finish(true);
      };
      set.onCount();
    } else if (cmd === 'release') {
      countSets.delete(id);
      for (const connection of idleSets.get(id) ?? []) connection.drop();
      idleSets.delete(id);
      send({ ev: 'done', id, result: {} });
    } else if (cmd === 'exit') process.exit(0);
  });
  // The runner going away must not leave us holding sockets.
  process.on('disconnect', () => process.exit(0));
  send({ ev: 'started' });
}

/** CLI mode: one echo measurement printed as JSON. */
async function runFromCommandLine(argv) {
  const arg = (name, fallback) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  const deflate = argv.includes('--deflate');
  const spec = {
    port: Number(arg('port', '9001')),
    connections: Number(arg('connections', '1')),
    inFlight: Number(arg('in-flight', '64')),
    size: Number(arg('size', deflate ? '16384' : '16')),
    opcode: deflate || argv.includes('--text') ? 1 : 2,
    deflate,
    warmupMs: 300,
    durationMs: Number(arg('seconds', '2')) * 1000,
    maxMessages: 50_000_000,
  };
  await runEcho(0, spec, Promise.resolve(), (message) => {
    if (message.ev === 'done') {
      const r = message.result;
      const rate = r.received ? Math.round(r.received / (r.elapsedMs / 1000)) : 0;
      console.log(JSON.stringify({ ...r, messagesPerSecond: rate }));
    }
  });
}

if (process.send !== undefined) serveRunner();
else await runFromCommandLine(process.argv.slice(2));
