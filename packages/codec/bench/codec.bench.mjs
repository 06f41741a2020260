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
import { spawnSync } from 'node:child_process';
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
  for (const run of runs) {
    console.log(`\nws ${run.wsNative ? 'WITH bufferutil' : 'WITHOUT bufferutil (WS_NO_BUFFER_UTIL=1)'}`);
    console.log(`${'case'.padEnd(34)} ${'framewire MB/s'.padStart(14)} ${'ws MB/s'.padStart(10)} ${'ratio'.padStart(7)}`);
    for (const c of run.cases) {
      const ratio = c.fw / c.ws;
      console.log(`${c.name.padEnd(34)} ${c.fw.toFixed(0).padStart(14)} ${c.ws.toFixed(0).padStart(10)} ${(ratio.toFixed(2) + 'x').padStart(7)}`);
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
  const caseTime = quick ? 300 : 1500; // ms per implementation per case
  const cases = [];

  const SIZES = [
    ['16 B', 16],
    ['1 KiB', 1024],
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
    cases.push({ name: `decode masked ${label}`, fw, ws: wsRate });
  }

  for (const masked of [true, false]) {
    for (const [label, size] of SIZES) {
      const payload = Buffer.alloc(size, 0x62);
      const reps = Math.max(1, Math.ceil(256 * 1024 / size));
      let sink = 0;
      const fwPass = () => {
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
      const [fw, wsRate] = compare(fwPass, wsPass, () => undefined, size * reps, caseTime);
      cases.push({ name: `encode ${masked ? 'masked' : 'unmasked'} ${label}`, fw, ws: wsRate });
      if (masked && size <= 1024) {
        const fwSingle = () => {
          for (let i = 0; i < reps; i++) sink += codec.encodeFrameToBuffer({ opcode: 2, payload, mask: true }).length;
        };
        const [fw1, ws1] = compare(fwSingle, wsPass, () => undefined, size * reps, caseTime);
        cases.push({ name: `encode masked ${label} (one buffer)`, fw: fw1, ws: ws1 });
      }
      if (sink === -1) console.error(sink); // keep results alive
    }
  }
  process.stdout.write(JSON.stringify({ wsNative, cases }));
}

/**
 * Alternates passes of the two implementations (so drift and GC hit both
 * alike) until each has run about `ms` milliseconds; returns MB/s of payload.
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
    let t0 = performance.now();
    fwPass(input);
    fwTime += performance.now() - t0;
    fwBytes += bytesPerPass;
    input = prepare();
    t0 = performance.now();
    wsPass(input);
    wsTime += performance.now() - t0;
    wsBytes += bytesPerPass;
  }
  return [fwBytes / fwTime / 1000, wsBytes / wsTime / 1000];
}
