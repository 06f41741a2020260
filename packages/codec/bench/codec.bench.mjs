// Frame codec micro-benchmark: framewire's FrameDecoder / encodeFrame beside
// ws's own Receiver / Sender.frame, same process, same bytes.
//
//   node bench/codec.bench.mjs           full run (a few seconds per case)
//   node bench/codec.bench.mjs --quick   short run
//   node bench/codec.bench.mjs --src     measure ../src even if ../dist is built
//
// ws picks the native `bufferutil` add-on by itself; WS_NO_BUFFER_UTIL=1
// turns it off. The parent runs one child per setting, one after the other,
// and prints MB/s of payload and the ratio framewire / ws for each case.
// Time is CPU time of the process (user + system), not wall time: on a
// shared machine it barely moves when a neighbour takes the core.
//
// Each main row measures the form a real sender uses, as Connection does:
// a masked frame as one buffer (encodeFrameToBuffer) at every size; an
// unmasked one as one buffer up to SINGLE_BUFFER_FRAME_LIMIT (16 KiB),
// header + payload (encodeFrame) above; ws's Sender.frame with `readOnly`
// likewise returns one merged buffer for a masked frame. Rows with a
// suffix are variants: the other encoder form, and, in the bufferutil run,
// the codec with the hooks the Node adapter installs (bufferutil's mask
// through setNativeMask when it is installed, as ws uses it; and
// Buffer.allocUnsafeSlow through setUninitializedAllocator). Pure TypeScript
// stays in the main rows. With FW_BENCH_JSON set, the main rows and the
// hooked ones are written there as { rows: [{ op, size, peer, ratio, masked,
// hooks? }] } for bench/lib/codec-bench.mjs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateCodec } from './load-codec.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const self = fileURLToPath(import.meta.url);

if (args.includes('--child')) {
  await child();
} else {
  await parent();
}

async function parent() {
  const { url, source } = await locateCodec({ forceSource: args.includes('--src') });
  console.log(`framewire codec from ${source}; ws ${wsVersion()}; node ${process.version}${quick ? '; --quick' : ''}`);
  const runs = [];
  for (const bufferutil of [false, true]) {
    const env = { ...process.env, FW_BENCH_CODEC: url };
    if (bufferutil) delete env.WS_NO_BUFFER_UTIL;
    else env.WS_NO_BUFFER_UTIL = '1';
    const childArgs = [self, '--child', ...(quick ? ['--quick'] : [])];
    const result = spawnSync(process.execPath, childArgs, { env, encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) {
      process.stderr.write(result.stderr ?? '');
      throw new Error(`benchmark child (bufferutil ${bufferutil}) failed with status ${result.status}`);
    }
    runs.push(JSON.parse(result.stdout));
  }
  if (process.env.FW_BENCH_JSON) {
    const rows = [];
    for (const run of runs) {
      for (const c of run.cases) {
        if (c.variant && !c.hooks) continue;
        const row = { op: c.op, size: c.size, peer: run.wsNative ? 'ws+bufferutil' : 'ws', ratio: c.fw / c.ws, masked: c.masked };
        rows.push(c.hooks ? { ...row, hooks: true } : row);
      }
    }
    writeFileSync(process.env.FW_BENCH_JSON, JSON.stringify({ rows }, null, 2));
  }
  for (const run of runs) {
    console.log(`\nws ${run.wsNative ? 'WITH bufferutil' : 'WITHOUT bufferutil (WS_NO_BUFFER_UTIL=1)'}`);
    console.log(`${'case'.padEnd(42)} ${'framewire MB/s'.padStart(14)} ${'ws MB/s'.padStart(10)} ${'ratio'.padStart(7)}`);
    for (const c of run.cases) {
      const ratio = c.fw / c.ws;
      console.log(`${c.name.padEnd(42)} ${c.fw.toFixed(0).padStart(14)} ${c.ws.toFixed(0).padStart(10)} ${(ratio.toFixed(2) + 'x').padStart(7)}`);
    }
  }
}

function wsVersion() {
  const require = createRequire(import.meta.url);
  return require('ws/package.json').version;
}

async function child() {
  const require = createRequire(import.meta.url);
  const codec = await import(process.env.FW_BENCH_CODEC ?? (await locateCodec()).url);
  const ws = require('ws');
  // Same module instance the Receiver uses (absolute path bypasses the exports map).
  const bufferUtil = require(join(dirname(require.resolve('ws')), 'lib', 'buffer-util.js'));
  const wsNative = bufferUtil.unmask.name !== '_unmask';
  /** Runs `fn` with the Node adapter's hooks in the codec: bufferutil's mask, uninitialised large buffers. */
  const withNodeHooks = (fn) => {
    codec.setNativeMask(require('bufferutil').mask);
    codec.setUninitializedAllocator((size) => Buffer.allocUnsafeSlow(size));
    try {
      return fn();
    } finally {
      codec.setNativeMask(undefined);
      codec.setUninitializedAllocator(undefined);
    }
  };
  const caseTime = quick ? 300 : 1500; // ms per implementation per case
  const cases = [];

  const SIZES = [
    ['16 B', 16],
    ['1 KiB', 1024],
    ['16 KiB', 16 * 1024],
    ['64 KiB', 64 * 1024],
    ['1 MiB', 1024 * 1024],
  ];
  const CHUNK = 64 * 1024;
  const MAX = 64 * 1024 * 1024;

  for (const [label, size] of SIZES) {
    // A stream of masked client frames, cut in 64 KiB chunks as a socket delivers them.
    const count = Math.max(4, Math.ceil((quick ? 2 : 8) * 1024 * 1024 / (size + 14)));
    const payload = Buffer.alloc(size, 0x61);
    const master = Buffer.concat(
      Array.from({ length: count }, () => Buffer.concat(codec.encodeFrame({ opcode: 2, payload, mask: true }))),
    );
    const fresh = () => {
      // Both decoders unmask in place, so every pass gets a pristine copy (not timed).
      const copy = Buffer.from(master);
      const chunks = [];
      for (let i = 0; i < copy.length; i += CHUNK) chunks.push(copy.subarray(i, i + CHUNK));
      return chunks;
    };
    const fwPass = (chunks) => {
      const decoder = new codec.FrameDecoder({ role: 'server', maxFrameSize: MAX });
      let frames = 0;
      for (const chunk of chunks) {
        decoder.push(chunk);
        for (let r = decoder.read(); r !== undefined; r = decoder.read()) {
          if (r.type === 'frame') frames++;
          else if (r.type === 'error') throw r.error;
        }
      }
      if (frames !== count) throw new Error(`framewire decoded ${frames}/${count}`);
    };
    const wsPass = (chunks) => {
      const receiver = new ws.Receiver({ isServer: true, maxPayload: MAX, binaryType: 'nodebuffer' });
      let frames = 0;
      receiver.on('message', () => frames++);
      receiver.on('error', (error) => {
        throw error;
      });
      for (const chunk of chunks) receiver.write(chunk);
      if (frames !== count) throw new Error(`ws decoded ${frames}/${count}`);
    };
    const [fw, wsRate] = compare(fwPass, wsPass, fresh, size * count, caseTime);
    cases.push({ name: `decode masked ${label}`, op: 'decode', size, masked: true, fw, ws: wsRate });
    if (wsNative && size >= 1024) {
      const [fwN, wsN] = withNodeHooks(() => compare(fwPass, wsPass, fresh, size * count, caseTime));
      cases.push({ name: `decode masked ${label} (Node adapter hooks)`, op: 'decode', size, masked: true, variant: true, hooks: true, fw: fwN, ws: wsN });
    }
  }

  for (const masked of [true, false]) {
    for (const [label, size] of SIZES) {
      const payload = Buffer.alloc(size, 0x62);
      const reps = Math.max(1, Math.ceil(256 * 1024 / size));
      let sink = 0;
      const onePass = () => {
        for (let i = 0; i < reps; i++) sink += codec.encodeFrameToBuffer({ opcode: 2, payload, mask: masked }).length;
      };
      const pairPass = () => {
        for (let i = 0; i < reps; i++) {
          const [header, body] = codec.encodeFrame({ opcode: 2, payload, mask: masked });
          sink += header.length + body.length;
        }
      };
      const wsPass = () => {
        for (let i = 0; i < reps; i++) {
          const list = ws.Sender.frame(payload, { fin: true, rsv1: false, opcode: 2, mask: masked, readOnly: true });
          sink += list[0].length;
        }
      };
      // Unmasked frames: the payload is never copied (header written
      // separately), for both; masked ones follow the Connection's choice.
      // Connection: a masked frame is one buffer at every size (one masking copy).
      const single = masked;
      const mainPass = single ? onePass : pairPass;
      const name = `encode ${masked ? 'masked' : 'unmasked'} ${label}`;
      const [fw, wsRate] = compare(mainPass, wsPass, () => undefined, size * reps, caseTime);
      cases.push({ name, op: 'encode', size, masked, fw, ws: wsRate });
      if (masked) {
        const [fw2, ws2] = compare(single ? pairPass : onePass, wsPass, () => undefined, size * reps, caseTime);
        cases.push({ name: `${name} (${single ? 'header + payload' : 'one buffer'})`, variant: true, fw: fw2, ws: ws2 });
      }
      if (masked && wsNative && size >= 1024) {
        const [fwN, wsN] = withNodeHooks(() => compare(mainPass, wsPass, () => undefined, size * reps, caseTime));
        cases.push({ name: `${name} (Node adapter hooks)`, op: 'encode', size, masked, variant: true, hooks: true, fw: fwN, ws: wsN });
      }
      if (sink === -1) console.error(sink); // keep results alive
    }
  }
  process.stdout.write(JSON.stringify({ wsNative, cases }));
}

/** CPU time of this process in ms (user + system; includes GC helper threads). */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Alternates passes of the two implementations (so drift and GC hit both
 * alike) until each has used about `ms` ms of CPU; returns MB/s of payload
 * per CPU second.
 */
function compare(fwPass, wsPass, prepare, bytesPerPass, ms) {
  // Warm up both (JIT) before timing.
  for (let i = 0; i < 3; i++) {
    fwPass(prepare());
    wsPass(prepare());
  }
  let fwTime = 0;
  let wsTime = 0;
  let fwBytes = 0;
  let wsBytes = 0;
  while (fwTime < ms || wsTime < ms) {
    let input = prepare();
    let t0 = cpuNow();
    fwPass(input);
    fwTime += cpuNow() - t0;
    fwBytes += bytesPerPass;
    input = prepare();
    t0 = cpuNow();
    wsPass(input);
    wsTime += cpuNow() - t0;
    wsBytes += bytesPerPass;
  }
  return [fwBytes / fwTime / 1000, wsBytes / wsTime / 1000];
}
