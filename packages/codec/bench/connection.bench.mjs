// Connection echo micro-benchmark, in memory: a server Connection receives a
// 64 KiB chunk full of small masked client frames, reads every event and
// sends each message back; beside it ws's Receiver + Sender do the same echo
// (what a ws server does per message, minus the socket). This is the core
// of the Node echo target "server CPU per message ≤ 0.4x ws+bufferutil for
// 16 B pipelined".
//
//   node bench/connection.bench.mjs           full run
//   node bench/connection.bench.mjs --quick   short run
//   node bench/connection.bench.mjs --src     measure ../src even if ../dist is built
//   node bench/connection.bench.mjs --cpu-prof-only [--size N] [--binary]
//                                             framewire echo alone, for node --cpu-prof
//
// Time is CPU time (user + system). The parent runs one child without and one
// with bufferutil (ws picks it by itself) and prints ns per message and the
// ratio of framewire's CPU per message to ws's (lower is better).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateCodec } from './load-codec.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const self = fileURLToPath(import.meta.url);
const argValue = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};

/** A module URL exporting Connection and encodeFrameToBuffer: dist when fresh, else a bundle of src. */
const locateConnection = () =>
  locateCodec({
    modules: { 'protocol/connection.ts': ['Connection'], 'protocol/frame.ts': ['encodeFrameToBuffer'], 'protocol/mask.ts': ['setNativeMask'] },
    forceSource: args.includes('--src'),
  });

const CASES = [
  { name: 'echo text 16 B', size: 16, binary: false },
  { name: 'echo binary 16 B', size: 16, binary: true },
  { name: 'echo text 1 KiB', size: 1024, binary: false },
  { name: 'echo binary 1 KiB', size: 1024, binary: true },
];

async function parent() {
  const { url, source } = await locateConnection();
  const require = createRequire(import.meta.url);
  console.log(`framewire Connection from ${source}; ws ${require('ws/package.json').version}; node ${process.version}${quick ? '; --quick' : ''}`);
  for (const bufferutil of [false, true]) {
    const env = { ...process.env, FW_BENCH_CONN: url };
    if (bufferutil) delete env.WS_NO_BUFFER_UTIL;
    else env.WS_NO_BUFFER_UTIL = '1';
    const result = spawnSync(process.execPath, [self, '--child', ...(quick ? ['--quick'] : [])], { env, encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) {
      process.stderr.write(result.stderr ?? '');
      throw new Error(`benchmark child failed with status ${result.status}`);
    }
    const run = JSON.parse(result.stdout);
    console.log(`\nws ${run.wsNative ? 'WITH bufferutil' : 'WITHOUT bufferutil (WS_NO_BUFFER_UTIL=1)'}; 64 KiB chunks of masked frames, each message echoed`);
    console.log(`${'case'.padEnd(22)} ${'framewire ns/msg'.padStart(16)} ${'ws ns/msg'.padStart(10)} ${'CPU ratio'.padStart(10)}`);
    for (const c of run.cases) {
      console.log(`${c.name.padEnd(22)} ${c.fw.toFixed(0).padStart(16)} ${c.ws.toFixed(0).padStart(10)} ${((c.fw / c.ws).toFixed(2) + 'x').padStart(10)}`);
    }
  }
}

/** The echo loops of both implementations over the chunks of one case. */
function makeEchoes(codec, ws, { size, binary }) {
  const CHUNK = 64 * 1024;
  const payload = Buffer.alloc(size, 0x61); // ASCII text is valid UTF-8 too
  const frame = codec.encodeFrameToBuffer({ opcode: binary ? 2 : 1, payload, mask: true });
  const perChunk = Math.floor(CHUNK / frame.length);
  const master = Buffer.alloc(perChunk * frame.length);
  for (let i = 0; i < perChunk; i++) master.set(frame, i * frame.length);
  const chunksPerPass = quick ? 4 : 8;
  const fresh = () => {
    // Both sides unmask in place, so every pass gets pristine copies (not timed).
    const chunks = [];
    for (let i = 0; i < chunksPerPass; i++) chunks.push(Buffer.from(master));
    return chunks;
  };
  const messages = perChunk * chunksPerPass;

  const fwPass = (chunks) => {
    const conn = new codec.Connection({ role: 'server', now: Date.now });
    let echoed = 0;
    let written = 0;
    for (const chunk of chunks) {
      conn.receive(chunk);
      for (let e = conn.readEvent(); e !== undefined; e = conn.readEvent()) {
        if (e.type === 'text') conn.sendText(e.data);
        else if (e.type === 'binary') conn.sendBinary(e.data);
        echoed++;
      }
      for (const bytes of conn.takeOutput()) written += bytes.length;
    }
    if (echoed !== messages || written === 0) throw new Error(`framewire echoed ${echoed}/${messages}`);
  };

  const wsPass = (chunks) => {
    let written = 0;
    const socket = {
      cork() {},
      uncork() {},
      write(bytes, cb) {
        written += bytes.length;
        if (cb) cb();
        return true;
      },
    };
    const sender = new ws.Sender(socket);
    const receiver = new ws.Receiver({ isServer: true, maxPayload: 16 * 1024 * 1024, binaryType: 'nodebuffer' });
    let echoed = 0;
    // What ws's WebSocket does for each message: send it back with its type.
    receiver.on('message', (data, isBinary) => {
      sender.send(data, { binary: isBinary, fin: true, compress: false, mask: false });
      echoed++;
    });
    receiver.on('error', (error) => {
      throw error;
    });
    for (const chunk of chunks) receiver.write(chunk);
    if (echoed !== messages || written === 0) throw new Error(`ws echoed ${echoed}/${messages}`);
  };
  return { fwPass, wsPass, fresh, messages };
}

async function child(url) {
  const require = createRequire(import.meta.url);
  const codec = await import(url);
  const ws = require('ws');
  const bufferUtil = require(join(dirname(require.resolve('ws')), 'lib', 'buffer-util.js'));
  const wsNative = bufferUtil.unmask.name !== '_unmask';
  const cpuMs = quick ? 400 : 2000;
  const cases = [];
  for (const c of CASES) {
    const { fwPass, wsPass, fresh, messages } = makeEchoes(codec, ws, c);
    for (let i = 0; i < 5; i++) {
      fwPass(fresh());
      wsPass(fresh());
    }
    let fwTime = 0;
    let wsTime = 0;
    let passes = 0;
    // Alternate passes so drift and GC hit both alike.
    while (fwTime < cpuMs || wsTime < cpuMs) {
      let input = fresh();
      let t0 = cpuNow();
      fwPass(input);
      fwTime += cpuNow() - t0;
      input = fresh();
      t0 = cpuNow();
      wsPass(input);
      wsTime += cpuNow() - t0;
      passes++;
    }
    cases.push({ name: c.name, fw: (fwTime * 1e6) / (passes * messages), ws: (wsTime * 1e6) / (passes * messages) });
  }
  process.stdout.write(JSON.stringify({ wsNative, cases }));
}

/** framewire's echo alone in a loop for a few seconds, to profile with node --cpu-prof. */
async function profileOnly() {
  const { url } = await locateConnection();
  const codec = await import(url);
  const ws = createRequire(import.meta.url)('ws');
  const size = Number(argValue('--size', '16'));
  const { fwPass, fresh } = makeEchoes(codec, ws, { size, binary: args.includes('--binary') });
  const end = cpuNow() + 3000;
  while (cpuNow() < end) fwPass(fresh());
}

/** CPU time of this process in ms (user + system). */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// Last, so every const above is initialised before the top-level await runs.
if (args.includes('--child')) await child(process.env.FW_BENCH_CONN);
else if (args.includes('--cpu-prof-only')) await profileOnly();
else await parent();
